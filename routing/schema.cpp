#include "routing/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string_view>

namespace edge::routing {

namespace {

// Column names of `table` (lower-cased; SQLite names are case-insensitive), empty if absent.
result<std::set<std::string>, load_error> columns_of(const sqlite_db& db, std::string_view table) {
    auto st = db.prepare(fmt::format("PRAGMA table_info(\"{}\")", table));
    if (!st) return unexpected(st.error());
    std::set<std::string> cols;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
        std::string name = st->text(1);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        cols.insert(std::move(name));
    }
    if (rc != SQLITE_DONE) return unexpected(db.error(rc, "reading the schema"));
    return cols;
}

}  // namespace

result<db_shape, load_error> detect_shape(const sqlite_db& db) {
    db_shape shape;
    auto backends = columns_of(db, "backends");
    if (!backends) return unexpected(backends.error());
    if (backends->empty())
        return unexpected(load_error{load_failure::wrong_schema, "no table 'backends'"});
    std::string missing;
    for (const char* c : required_backend_columns) {
        if (!backends->count(c)) missing += missing.empty() ? c : fmt::format(", {}", c);
    }
    if (!missing.empty())
        return unexpected(load_error{load_failure::wrong_schema,
                                     fmt::format("table 'backends' lacks column(s) {}", missing)});
    shape.has_country = backends->count("country") != 0;

    // Views and WITHOUT ROWID tables have no rowid; the loader then numbers rows itself.
    auto probe = db.prepare("SELECT rowid FROM backends LIMIT 0");
    shape.has_rowid = probe.has_value();

    auto optional_table = [&](std::string_view name, std::initializer_list<const char*> need,
                              bool& present) -> result<void, load_error> {
        auto cols = columns_of(db, name);
        if (!cols) return unexpected(cols.error());
        if (cols->empty()) return {};
        for (const char* c : need) {
            if (!cols->count(c)) {
                shape.ignored_tables.push_back(
                    fmt::format("table '{}' lacks column '{}'; ignored", name, c));
                return {};
            }
        }
        present = true;
        return {};
    };
    if (auto r =
            optional_table("country_regions", {"country", "region"}, shape.has_country_regions);
        !r)
        return unexpected(r.error());
    if (auto r = optional_table("draining", {"id"}, shape.has_draining); !r)
        return unexpected(r.error());
    if (auto r = optional_table("send_proxy", {"id", "version"}, shape.has_send_proxy); !r)
        return unexpected(r.error());
    return shape;
}

const char* schema_sql() noexcept {
    return R"sql(
CREATE TABLE IF NOT EXISTS backends (
    id         TEXT PRIMARY KEY,
    app        TEXT NOT NULL DEFAULT '',
    region     TEXT NOT NULL,
    country    TEXT,
    wg_ip      TEXT NOT NULL,
    port       INTEGER NOT NULL,
    healthy    INTEGER NOT NULL DEFAULT 1,
    weight     INTEGER NOT NULL DEFAULT 1,
    soft_limit INTEGER NOT NULL DEFAULT 100,
    hard_limit INTEGER NOT NULL DEFAULT 0,
    deleted    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS country_regions (
    country TEXT PRIMARY KEY,
    region  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS draining (
    id TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS send_proxy (
    id      TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
)sql";
}

}  // namespace edge::routing
