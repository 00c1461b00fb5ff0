// load_snapshot: open read-only → detect the shape → read every table in one read transaction →
// validate row by row → build the snapshot. Each step lives in its own file; this one only
// sequences them.

#include "routing/loader.hpp"

#include <fmt/format.h>

#include "routing/registry.hpp"
#include "routing/schema.hpp"
#include "routing/snapshot_build.hpp"
#include "routing/sqlite_db.hpp"
#include "routing/table_reader.hpp"
#include "routing/table_validation.hpp"

namespace edge::routing {

namespace {

// Reads everything inside one read transaction so that the snapshot is one committed state.
result<std::pair<db_shape, table_set>, load_error> read_all(const sqlite_db& db) {
    if (auto r = db.exec("BEGIN"); !r) return unexpected(r.error());
    auto body = [&]() -> result<std::pair<db_shape, table_set>, load_error> {
        auto shape = detect_shape(db);
        if (!shape) return unexpected(shape.error());
        auto tables = read_table_set(db, *shape);
        if (!tables) return unexpected(tables.error());
        return std::pair{std::move(*shape), std::move(*tables)};
    };
    auto r = body();
    (void)db.exec("COMMIT");  // a read transaction: ending it cannot lose anything
    return r;
}

}  // namespace

result<load_result, load_error> load_snapshot(const load_options& opts,
                                              backend_registry& registry) {
    auto db = sqlite_db::open(opts.db_path, sqlite_db::mode::read_only, opts.busy_timeout_ms);
    if (!db) return unexpected(db.error());
    load_result out;
    auto contents = read_all(*db);
    if (!contents) {
        load_error e = contents.error();
        e.detail = fmt::format("{}: {}", opts.db_path, e.detail);
        return unexpected(std::move(e));
    }
    auto& [shape, tables] = *contents;
    out.warnings = std::move(shape.ignored_tables);
    out.rows_read = tables.backends.size();
    out.sync_state = std::move(tables.sync_state);

    address_resolver resolver;
    checked_tables checked = check_tables(tables, resolver);
    out.rejected = std::move(checked.rejected);
    out.rows_deleted = checked.rows_deleted;

    snapshot_input in;
    in.pop_region = opts.pop_region;
    in.backends = std::move(checked.backends);
    in.country_regions = std::move(checked.country_regions);
    in.wg_peers = std::move(checked.wg_peers);
    in.health_checks = std::move(checked.health_checks);
    out.snap = build_snapshot(std::move(in), registry, out.rejected);
    return out;
}

}  // namespace edge::routing
