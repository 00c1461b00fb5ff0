#pragma once
// The new process's side of a listener handover (--takeover PATH). Once it has loaded and checked
// everything it would refuse to start without (flags, io_uring, routing.db, the GeoIP file), it
// connects to the running instance's control socket and receives its listening sockets, its admin
// and control listeners and its client bindings. It then starts its workers on them, starts
// accepting, and says "ready"; the old instance stops accepting (without closing anything: the
// sockets live on in this process, so no queued client is reset whatever tcp_migrate_req says),
// confirms with "released", drains and exits 0. Any failure before "ready" leaves the old one
// serving as it was: it never stopped.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "base/unique_fd.hpp"
#include "engine/host/listener_set.hpp"

namespace edge::engine {

/// What the old instance handed over.
struct inheritance {
    pid_t old_pid = 0;
    std::vector<inherited_listener> listeners;
    socket_address admin_address;  // empty: it had no admin endpoint
    unique_fd admin;
    std::string control_path;
    unique_fd control;
    unique_fd bindings;  // memfd (engine/control/binding_transfer.hpp); may be empty
    std::size_t binding_count = 0;
};

class takeover_client {
  public:
    /// Connects to `path` and receives everything (each message within `timeout_ms`). The error
    /// says what went wrong for the operator (nobody there, refused, cut short). Main thread.
    static result<takeover_client, std::string> start(const std::string& path, int timeout_ms);

    inheritance& received() noexcept { return got_; }

    /// This process accepts now: tells the old one, and waits (up to `timeout_ms`) for it to
    /// confirm that it stopped accepting. An error means the old one did not confirm: it may
    /// still be accepting on the same sockets. Main thread.
    result<void, std::string> ready(int timeout_ms);

  private:
    takeover_client() = default;

    unique_fd sock_;
    std::string path_;
    inheritance got_;
};

}  // namespace edge::engine
