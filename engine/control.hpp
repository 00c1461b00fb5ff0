#pragma once
// The control thread: it owns everything that is not on a connection's path. It turns SIGTERM /
// SIGINT into a drain of every worker (a second signal stops them at once), serves the admin
// endpoint, re-reads routing.db when it changes and hands the new snapshot to every worker, frees
// an old snapshot once every worker has moved past it, and sweeps expired client bindings. It is
// the one producer of every worker's inbox.

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "engine/admin_server.hpp"
#include "engine/config.hpp"
#include "engine/metrics.hpp"
#include "engine/worker.hpp"
#include "geo/database_watcher.hpp"
#include "geo/region_map.hpp"
#include "routing/bindings.hpp"
#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/types.hpp"
#include "routing/watcher.hpp"

namespace edge::engine {

class control {
  public:
    struct setup {
        const config* cfg = nullptr;
        std::vector<worker*> workers;
        std::optional<admin_server> admin;
        routing::snapshot_ptr snapshot;  // what the workers start with
        routing::backend_registry* registry = nullptr;
        routing::load_options load;
        std::unique_ptr<routing::db_watcher> watcher;  // sampled before the start-up load
        routing::binding_table* bindings = nullptr;    // nullptr: affinity off
        std::vector<routing::rejected_row> rejected;   // rows the start-up load left out
        std::unique_ptr<geo::database_watcher> geo;    // nullptr: no --geoip
        std::shared_ptr<const geo::region_map> region_map;
    };

    /// The country → region map for a routing table: edgeProxy's defaults, then the table's
    /// country_regions rows, then --region-by-continent for countries still unmapped. Rows that
    /// do not parse are left out and listed in `warnings`. Control thread (and main at start).
    static std::shared_ptr<const geo::region_map> build_region_map(
        const routing::snapshot& snap, const std::string& by_continent,
        std::vector<std::string>& warnings);

    /// SIGTERM/SIGINT/SIGHUP must already be blocked in every thread (block_signals(), called
    /// by main before it starts any); the control thread reads them from a signalfd.
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
    void broadcast(worker_message::kind what) noexcept;
    void render_metrics(std::string& out) const;
    void reload() noexcept;
    /// Sends whatever is non-null to every worker, and keeps what it replaces until every worker
    /// has taken the new one in.
    void publish(routing::snapshot_ptr snap, std::shared_ptr<const geo::database> db,
                 std::shared_ptr<const geo::region_map> map) noexcept;
    void reload_geo() noexcept;
    void retire() noexcept;
    void log_rejected(const std::vector<routing::rejected_row>& rows);

    const config& cfg_;
    std::vector<worker*> workers_;
    std::optional<admin_server> admin_;
    routing::snapshot_ptr snap_;
    routing::backend_registry* registry_;
    routing::load_options load_;
    std::unique_ptr<routing::db_watcher> watcher_;
    routing::binding_table* bindings_;
    std::unique_ptr<geo::database_watcher> geo_;
    std::shared_ptr<const geo::database> geo_db_;
    std::shared_ptr<const geo::region_map> region_map_;
    // Tables replaced by publication `replaced_by`, kept until every worker has acknowledged it,
    // so that the last reference never drops on a worker's loop.
    struct retired_table {
        std::uint64_t replaced_by;
        std::shared_ptr<const void> table;
    };
    std::deque<retired_table> retired_;
    std::uint64_t publication_ = 0;
    std::vector<std::string> last_rejected_;  // "id: reason", to log a changed set once
    routing_stats stats_;                     // control-thread-only; rendered on scrape
    unique_fd signal_fd_;
    unique_fd stop_fd_;
    int signals_seen_ = 0;
    std::atomic<bool> draining_{false};
};

}  // namespace edge::engine
