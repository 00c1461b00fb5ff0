#pragma once
// The control thread's helper for work that blocks: routing.db loads (SQLite with its busy
// timeout, host names in wg_ip resolved by getaddrinfo) and GeoIP file reloads (a copy of the
// whole file). The control thread asks for a check; the loader does it on its own thread and
// posts the outcome back (ready_fd() becomes readable, take() returns it). So a slow resolver or
// a locked database delays the next table, never a signal, a drain or the admin endpoint.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/unique_fd.hpp"
#include "geo/database_watcher.hpp"
#include "routing/registry.hpp"
#include "routing/table_source.hpp"

namespace edge::engine {

class table_loader {
  public:
    struct outcome {
        routing::reload_report routing;
        geo::reload_status geo;                       // unchanged when no --geoip
        std::shared_ptr<const geo::database> geo_db;  // set when geo.outcome is reloaded
    };

    /// Takes over the table source and the GeoIP watcher (may be null) after the start-up load;
    /// both are used only on the loader's thread from then on, and so is `registry`.
    table_loader(std::unique_ptr<routing::table_source> tables,
                 std::unique_ptr<geo::database_watcher> geo, routing::backend_registry& registry);
    ~table_loader();
    table_loader(const table_loader&) = delete;
    table_loader& operator=(const table_loader&) = delete;

    /// Readable when an outcome is ready. Control thread.
    int ready_fd() const noexcept { return ready_.get(); }
    /// Asks for a check of routing.db and the GeoIP file. `acknowledged`: the routing snapshot
    /// version every worker has swapped to (older ones are unused), so that the registry may
    /// reclaim slots of backends gone since (0: none yet). Ignored while a check runs (the
    /// caller asks again later). Control thread.
    void request(std::uint64_t acknowledged);
    /// A check is queued or running. Control thread.
    bool busy() const noexcept { return busy_; }
    /// The outcome of the last check, once ready_fd() fired. Control thread.
    std::optional<outcome> take();
    /// The GeoIP file's path ("" without --geoip). Any thread (immutable).
    const std::string& geo_path() const noexcept { return geo_path_; }

  private:
    void run();

    std::unique_ptr<routing::table_source> tables_;
    std::unique_ptr<geo::database_watcher> geo_;
    routing::backend_registry& registry_;
    const std::string geo_path_;
    unique_fd ready_;    // eventfd: loader → control
    bool busy_ = false;  // control thread's view

    // Sanctioned sharing: the request and the outcome cross threads under mu_ (control plane,
    // once per reload interval).
    std::mutex mu_;
    std::condition_variable cv_;
    bool requested_ = false;
    bool quit_ = false;
    std::uint64_t acknowledged_ = 0;
    std::optional<outcome> result_;
    std::thread thread_;
};

}  // namespace edge::engine
