#pragma once
// Reads routing.db's tables into raw rows (routing/rows.hpp), with SQLite's types kept and no
// check made: the loader validates what it reads, the writer looks rows up before changing them.
// Each function runs inside the caller's transaction. Control thread or tools.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "routing/load_error.hpp"
#include "routing/rows.hpp"
#include "routing/schema.hpp"
#include "routing/sqlite_db.hpp"

namespace edge::routing {

/// Rows of `backends` in table order (rowid order when there is one); with `id`, only the rows
/// with that id (deleted ones included).
result<std::vector<raw_row>, load_error> read_backend_rows(const sqlite_db& db,
                                                           const db_shape& shape,
                                                           std::optional<std::string_view> id = {});

/// Every optional table present in `shape` (others stay empty), and the backends. One read.
result<table_set, load_error> read_table_set(const sqlite_db& db, const db_shape& shape);

}  // namespace edge::routing
