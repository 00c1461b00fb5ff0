#pragma once
// The running process's side of restarts, on the control thread's reactor: it serves the control
// socket (engine/control/control_socket.hpp; protocol: base/control_protocol.hpp).
//
//   "status"    → pid, version, state.
//   "restart"   → starts the successor (engine/control/spawn.hpp) and answers "spawned", then
//                 "ok" once the successor took over or "failed" with the reason (it exited
//                 before it was ready, or did not get ready in time).
//   "takeover"  → sends the listening sockets, the admin and control listeners and the client
//                 bindings, then waits for "ready". On "ready" it tells its owner (which stops
//                 accepting and drains) and confirms with "released". A successor that goes
//                 away before "ready" changes nothing here: this process never stopped serving.
//
// One handover at a time; others are refused with the reason. Nothing here blocks: sockets are
// non-blocking, every session has a deadline.

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "base/unique_fd.hpp"
#include "engine/control/binding_transfer.hpp"
#include "engine/control/control_socket.hpp"
#include "engine/control/reactor.hpp"
#include "engine/control/spawn.hpp"
#include "engine/host/listener_set.hpp"

namespace edge::engine {

/// Handover counts for /metrics (edge_takeovers_total{result}).
struct takeover_stats {
    std::uint64_t handed_over = 0;  // a successor took over from this process
    std::uint64_t failed = 0;       // a successor failed or went away before it was ready
    std::uint64_t refused = 0;      // asked while another ran, or while draining
};

class takeover_server {
  public:
    /// What the owner (the control thread) provides.
    struct hooks {
        /// False while a drain runs: nothing to hand over then.
        std::function<bool()> can_hand_over;
        std::function<std::vector<listener_set::handover_entry>()> listeners;
        /// The admin listener (-1 without one) and its address.
        std::function<std::pair<int, socket_address>()> admin;
        /// The client bindings, or nullopt without affinity.
        std::function<std::optional<result<exported_table, std::string>>()> bindings;
        /// The successor accepts: stop accepting and drain (the listeners stay open).
        std::function<void(pid_t successor)> on_released;
    };

    /// `argv`: this process's command line, for the successor (engine/control/spawn.hpp);
    /// `exe`: the binary it starts. Main thread (the server then lives on the control thread).
    takeover_server(control_socket sock, std::vector<std::string> argv, std::string exe, hooks h);
    ~takeover_server();
    takeover_server(const takeover_server&) = delete;
    takeover_server& operator=(const takeover_server&) = delete;

    /// Starts serving on `r`. Control thread; the server must not move afterwards.
    result<void> attach(reactor& r);
    /// Handover counts. Control thread.
    const takeover_stats& stats() const noexcept { return stats_; }
    const std::string& path() const noexcept { return sock_.path(); }

  private:
    struct session {
        unique_fd fd;
        reactor::timer_id deadline = 0;
        enum class kind { unknown, restart, takeover } what = kind::unknown;
        pid_t peer = 0;  // takeover: the successor's pid
    };

    void on_listener() noexcept;
    void on_session(int fd) noexcept;
    void on_restart(session& s, const std::vector<std::string>& fields) noexcept;
    void on_takeover(session& s, pid_t pid) noexcept;
    bool send_inheritance(session& s) noexcept;
    void on_ready(session& s) noexcept;
    void on_child_exit() noexcept;
    /// A handover did not happen: tell whoever asked for the restart, count, log.
    void fail(const std::string& why) noexcept;
    void finish_restart(const std::vector<std::string>& answer) noexcept;
    void drop(int fd) noexcept;
    void set_deadline(session& s, std::uint64_t ms) noexcept;

    control_socket sock_;
    std::vector<std::string> argv_;
    std::string exe_;
    hooks hooks_;
    reactor* reactor_ = nullptr;
    std::unordered_map<int, session> sessions_;
    takeover_stats stats_;

    // The handover in progress, if any.
    int takeover_fd_ = -1;         // the successor's session
    int restart_fd_ = -1;          // the edgectl that asked for it (restart only)
    spawned_process child_;        // the successor we started (restart only)
    bool awaiting_child_ = false;  // a restart waits for child_ to take over
    bool released_ = false;        // done: this process no longer serves the control socket
};

}  // namespace edge::engine
