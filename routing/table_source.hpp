#pragma once
// table_source: routing.db as the workers need it — a validated snapshot and the country → region
// map built from it — loaded at start-up and re-loaded when the file changes. The one place that
// runs the reload sequence (watch → load → report → region map); the proxy's start-up and its
// reloads both go through it.
//
// It blocks (SQLite, host-name resolution), so it runs where waiting is allowed: the main thread
// at start-up, then the control thread's loader thread. Not thread-safe: one thread at a time
// (the registry it fills is that thread's too).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "geo/region_map.hpp"
#include "routing/load_error.hpp"
#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/types.hpp"
#include "routing/watcher.hpp"

namespace edge::routing {

/// A line for the operator's log; each distinct problem is reported once.
struct report_line {
    enum class severity : std::uint8_t { info, warn, error } level;
    std::string text;
};

struct reload_report {
    enum class outcome : std::uint8_t { unchanged, reloaded, failed } status = outcome::unchanged;
    /// reloaded: the new snapshot, and the map when its content changed (else null).
    snapshot_ptr snap;
    std::shared_ptr<const geo::region_map> region_map;
    /// failed: why (the table in force stays).
    std::optional<load_error> error;
    std::size_t rows_rejected = 0;  // by this load
    std::vector<report_line> lines;
};

/// The country → region map for a snapshot: edgeProxy's defaults, then its country_regions rows,
/// then `by_continent` (--region-by-continent, already validated) for countries still unmapped.
/// Rows that do not parse are left out and listed in `warnings`. Any thread.
std::shared_ptr<const geo::region_map> build_region_map(const snapshot& snap,
                                                        const std::string& by_continent,
                                                        std::vector<std::string>& warnings);

class table_source {
  public:
    table_source(load_options opts, std::string region_by_continent, backend_registry& registry);

    /// Loads now, whatever the file's state (start-up). outcome::failed leaves nothing in force.
    reload_report load_now();
    /// Loads when the file may have changed since the last load (or the last failure was
    /// transient); outcome::unchanged otherwise.
    reload_report reload_if_changed();

    /// The map in force (from the last successful load).
    const std::shared_ptr<const geo::region_map>& region_map() const noexcept { return map_; }
    const load_options& options() const noexcept { return opts_; }

  private:
    reload_report load(bool initial);
    void report_rejected(const std::vector<rejected_row>& rows, reload_report& out);

    load_options opts_;
    std::string by_continent_;
    backend_registry& registry_;
    db_watcher watcher_;
    std::shared_ptr<const geo::region_map> map_;
    std::vector<std::string> last_rejected_;  // "id: reason", to report a changed set once
};

}  // namespace edge::routing
