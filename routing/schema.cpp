#include "routing/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <span>
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

    auto optional_table = [&](std::string_view name, std::span<const char* const> need,
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
    static constexpr const char* country_regions[] = {"country", "region"};
    static constexpr const char* draining[] = {"id"};
    static constexpr const char* send_proxy[] = {"id", "version"};
    static constexpr const char* sync_state[] = {"key", "value"};
    struct {
        const char* name;
        std::span<const char* const> columns;
        bool& present;
    } tables[] = {{"country_regions", country_regions, shape.has_country_regions},
                  {"draining", draining, shape.has_draining},
                  {"send_proxy", send_proxy, shape.has_send_proxy},
                  {"wg_peers", wg_peer_columns, shape.has_wg_peers},
                  {"health_checks", health_check_columns, shape.has_health_checks},
                  {"sync_state", sync_state, shape.has_sync_state}};
    for (auto& t : tables) {
        if (auto r = optional_table(t.name, t.columns, t.present); !r) return unexpected(r.error());
    }
    return shape;
}

namespace {

struct table_ddl {
    const char* name;
    const char* sql;
};

// One CREATE per table, in the order schema_sql() lists them.
constexpr table_ddl ddl[] = {
    {"backends", R"sql(CREATE TABLE IF NOT EXISTS backends (
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
)sql"},
    {"country_regions", R"sql(CREATE TABLE IF NOT EXISTS country_regions (
    country TEXT PRIMARY KEY,
    region  TEXT NOT NULL
);
)sql"},
    {"draining", R"sql(CREATE TABLE IF NOT EXISTS draining (
    id TEXT PRIMARY KEY
);
)sql"},
    {"send_proxy", R"sql(CREATE TABLE IF NOT EXISTS send_proxy (
    id      TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
)sql"},
    {"wg_peers", R"sql(CREATE TABLE IF NOT EXISTS wg_peers (
    public_key           TEXT PRIMARY KEY,
    preshared_key        TEXT,
    endpoint             TEXT,
    allowed_ips          TEXT NOT NULL DEFAULT '',
    persistent_keepalive INTEGER
);
)sql"},
    {"health_checks", R"sql(CREATE TABLE IF NOT EXISTS health_checks (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL DEFAULT 'tcp',
    send        TEXT,
    expect      TEXT,
    http_path   TEXT,
    http_status TEXT,
    interval_ms INTEGER,
    timeout_ms  INTEGER,
    rise        INTEGER,
    fall        INTEGER,
    jitter_ms   INTEGER
);
)sql"},
    {"sync_state", R"sql(CREATE TABLE IF NOT EXISTS sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
)sql"},
};

}  // namespace

const char* schema_sql() noexcept {
    static const std::string all = [] {
        std::string s;
        for (const table_ddl& t : ddl)
            s += t.sql;
        return s;
    }();
    return all.c_str();
}

const char* table_sql(std::string_view table) noexcept {
    for (const table_ddl& t : ddl)
        if (table == t.name) return t.sql;
    return nullptr;
}

}  // namespace edge::routing
