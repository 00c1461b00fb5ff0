#pragma once
// Loading routing.db into a validated, immutable snapshot. Control thread (and start-up) only:
// it opens SQLite read-only and never writes the database.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// Why a whole load failed; the last good snapshot stays in force.
enum class load_failure : std::uint8_t { missing, locked, corrupt, wrong_schema, io };

struct load_error {
    load_failure kind;
    std::string detail;  // one line, for the log
};

/// A row that was left out, with its id (or "rowid N" when the id itself is bad) and why.
struct rejected_row {
    std::string id;
    std::string reason;
};

struct load_options {
    std::string db_path;
    geo::region_code pop_region;
};

class backend_registry;  // routing/registry.hpp: stable slots and shared state per backend id

struct load_result {
    snapshot_ptr snap;
    std::vector<rejected_row> rejected;
};

/// Reads the `backends` table and builds a snapshot; rows that fail validation are rejected
/// alone and listed. Control thread only.
result<load_result, load_error> load_snapshot(const load_options& opts,
                                              backend_registry& registry);

}  // namespace edge::routing
