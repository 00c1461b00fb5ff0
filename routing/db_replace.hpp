#pragma once
// Writes a whole routing.db at once: every table's rows into a temporary file beside the target,
// made durable, then renamed over it, so that a reader (the proxy's watcher) sees the old file or
// the new one, never a half-written one. For a feed's full snapshot (`edgectl sync`). Tools only.

#include <string>
#include <vector>

#include "base/result.hpp"
#include "routing/loader.hpp"
#include "routing/rows.hpp"
#include "routing/writer.hpp"

namespace edge::routing {

/// Writes `tables` as the complete new content of `path` (the schema of schema_sql(), then the
/// rows that pass the loader's validation, then `tables.sync_state`); returns the rows left out,
/// with their reasons. On any failure the temporary file is removed and `path` is untouched.
/// The new file keeps the old one's permission bits (0644 when there was none). Tools.
result<std::vector<rejected_row>, write_error> write_routing_db_file(const std::string& path,
                                                                     const table_set& tables,
                                                                     const write_options& opts);

}  // namespace edge::routing
