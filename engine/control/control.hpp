#pragma once
// The control thread: everything that is not on a connection's path, as sources of one reactor
// (engine/control/reactor.hpp) that never blocks. It turns SIGTERM/SIGINT into a drain of every
// worker (a second signal stops them at once) and SIGHUP into an immediate routing.db check;
// asks the loader thread to check routing.db and the GeoIP file every --reload-interval and hands
// what changed to every worker; frees a replaced table once every worker has moved past it;
// sweeps expired client bindings; serves the admin endpoint (/metrics, /healthz, /status and
// the status page at /); and passes SIGUSR1 on to the access log (reopen its file). It is the one
// producer of every worker's inbox.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "engine/access_log/access_log.hpp"
#include "engine/control/admin_server.hpp"
#include "engine/control/reactor.hpp"
#include "engine/control/table_loader.hpp"
#include "engine/control/takeover_server.hpp"
#include "engine/control/tunnel_control.hpp"
#include "engine/host/config.hpp"
#include "engine/host/health_board.hpp"
#include "engine/host/listener_set.hpp"
#include "engine/host/metrics.hpp"
#include "engine/host/worker_core.hpp"
#include "geo/database.hpp"
#include "geo/region_map.hpp"
#include "routing/bindings.hpp"
#include "routing/types.hpp"

namespace edge::engine {

class control {
  public:
    struct setup {
        const config* cfg = nullptr;
        std::vector<worker_core*> workers;
        /// Worker hosts that are not relay workers (the health checker's): they get every
        /// table, drain and stop like the workers, but are not counted or scraped as workers.
        std::vector<worker_core*> helpers;
        const health_board* health = nullptr;  // null: no health checker
        std::optional<admin_server> admin;
        std::unique_ptr<table_loader> loader;
        // What the workers started with.
        routing::snapshot_ptr snapshot;
        std::shared_ptr<const geo::database> geo_db;
        std::shared_ptr<const geo::region_map> region_map;
        routing::binding_table* bindings = nullptr;  // null: affinity off
        std::size_t rows_rejected = 0;               // by the start-up load
        // Restarts (engine/control/takeover_server.hpp); no control socket: no restarts.
        listener_set* listener_owner = nullptr;
        std::optional<control_socket> control_sock;
        std::vector<std::string> argv;       // this process's command line, for a successor
        std::string exe;                     // the binary's path, for a successor
        std::vector<listen_spec> listeners;  // for /status
        access_log* access = nullptr;        // null: --access-log off
        bool admin_token = false;            // --admin-token-file is in force
        std::int64_t started_ms = 0;         // realtime ms at start-up
        /// The WireGuard tunnel's control half (--wg-config), without its send_to: the control
        /// thread fills that in (its own outbox).
        std::optional<tunnel_control::setup> tunnel;
    };

    /// SIGTERM/SIGINT/SIGHUP/SIGUSR1 must already be blocked in every thread (block_signals(),
    /// called by main before it starts any); the control thread reads them from a signalfd. Main
    /// thread.
    explicit control(setup s);
    ~control();

    /// Thread body. Returns after stop().
    void run() noexcept;
    /// Makes run() return. Main thread, after the workers have finished.
    void stop() noexcept;
    /// True once a drain has begun. Any thread.
    bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }

    /// Blocks the signals the control thread handles; main calls it before starting threads.
    static void block_signals() noexcept;

  private:
    void on_signal() noexcept;
    void on_loader_ready() noexcept;
    void on_reload_timer() noexcept;
    void check_now() noexcept;
    void apply_geo(const table_loader::outcome& o) noexcept;
    /// Queues `m` for every worker and sends what it can now; the rest is retried shortly,
    /// in order, without ever blocking this thread.
    void broadcast(const worker_message& m) noexcept;
    /// Queues `m` for worker `i` alone (same outbox, same order).
    void send_to(unsigned i, worker_message m) noexcept;
    void flush_outboxes() noexcept;
    /// Sends whatever is non-null to every worker, and keeps what it replaces until every worker
    /// has taken the new one in.
    void publish(routing::snapshot_ptr snap, std::shared_ptr<const geo::database> db,
                 std::shared_ptr<const geo::region_map> map) noexcept;
    void retire() noexcept;
    void render_metrics(const admin_request& req, admin_response& res) const;
    /// A successor accepts on our listeners: stop accepting (closing nothing) and drain.
    void on_handed_over(pid_t successor) noexcept;
    void attach_takeover_server() noexcept;
    void render_status(admin_response& res) const;
    void add_routes();

    const config& cfg_;
    std::vector<worker_core*> workers_;
    std::vector<worker_core*> consumers_;  // workers_ and the helpers: every inbox we feed
    const health_board* health_;
    std::optional<reactor> reactor_;
    std::optional<admin_server> admin_;
    std::unique_ptr<table_loader> loader_;
    std::unique_ptr<tunnel_control> tunnel_;
    routing::snapshot_ptr snap_;
    std::shared_ptr<const geo::database> geo_db_;
    std::shared_ptr<const geo::region_map> region_map_;
    routing::binding_table* bindings_;

    // Tables replaced by publication `replaced_by`, kept until every worker has acknowledged it,
    // so that the last reference never drops on a worker's loop.
    struct retired_table {
        std::uint64_t replaced_by;
        std::shared_ptr<const void> table;
    };
    std::deque<retired_table> retired_;
    // Publication → the routing snapshot version in force from it on (for registry reclaim).
    std::deque<std::pair<std::uint64_t, std::uint64_t>> versions_;
    std::uint64_t acknowledged_version_ = 0;
    std::uint64_t publication_ = 0;
    bool check_again_ = false;  // a check was asked for while one ran
    bool retire_armed_ = false;

    // Per consumer: messages not yet taken by its inbox (it was full), oldest first.
    std::vector<std::deque<worker_message>> outbox_;
    bool flush_armed_ = false;

    listener_set* listener_owner_;
    std::optional<control_socket> control_sock_;  // until run() gives it to takeover_
    std::vector<std::string> argv_;
    std::string exe_;
    std::unique_ptr<takeover_server> takeover_;
    pid_t successor_ = 0;  // set once handed over

    routing_stats stats_;  // control-thread-only; rendered on scrape
    std::vector<listen_spec> listeners_;
    access_log* access_log_;
    bool admin_token_;
    std::int64_t started_ms_;
    std::int64_t snapshot_loaded_ms_;  // realtime ms when the table in force was taken in
    std::int64_t geo_loaded_ms_;
    unique_fd signal_fd_;
    unique_fd stop_fd_;
    int signals_seen_ = 0;
    std::atomic<bool> draining_{false};
};

}  // namespace edge::engine
