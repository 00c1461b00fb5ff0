#pragma once
// Loading routing.db into a validated, immutable snapshot. Control thread (and start-up) only:
// it opens SQLite read-only and never writes the database.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "routing/load_error.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// A row that was left out, with its id (or "rowid N" when the id itself is bad) and why.
struct rejected_row {
    std::string id;
    std::string reason;
};

struct load_options {
    std::string db_path;
    geo::region_code pop_region;
    /// How long to wait for a writer's lock before giving up with load_failure::locked. The
    /// control thread must not stall for long: the next reload interval retries.
    int busy_timeout_ms = 250;
};

class backend_registry;  // routing/registry.hpp: stable slots and shared state per backend id

struct load_result {
    snapshot_ptr snap;
    std::vector<rejected_row> rejected;
    std::size_t rows_read = 0;     // rows of `backends`, deleted ones included
    std::size_t rows_deleted = 0;  // soft-deleted rows (deleted not NULL/0), skipped silently
    /// Optional tables that were present but unusable, one line each.
    std::vector<std::string> warnings;
    /// Rows of the optional `sync_state` table: what a feed (`edgectl sync`) recorded about its
    /// source (e.g. "etcd_revision"), for display.
    std::vector<std::pair<std::string, std::string>> sync_state;
};

/// Reads the `backends` table and every optional table (`country_regions`, `draining`,
/// `send_proxy`, `wg_peers`, `health_checks`) in one read transaction and builds a snapshot;
/// rows that fail validation are rejected alone and listed. Opens the file read-only: never creates
/// or writes it. Resolves host names (blocking). Control thread only (or tools, with their own
/// registry).
result<load_result, load_error> load_snapshot(const load_options& opts, backend_registry& registry);

}  // namespace edge::routing
