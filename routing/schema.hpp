#pragma once
// routing.db's shape: which of edgeProxy's columns and of our optional tables a database has,
// and the DDL `edgectl init` writes. The loader adapts to what it finds; edgeProxy databases
// without a `country` column load as they are.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "routing/load_error.hpp"
#include "routing/sqlite_db.hpp"

namespace edge::routing {

/// The columns of `backends` every database must have (edgeProxy's table).
inline constexpr const char* required_backend_columns[] = {
    "id",      "app",    "region",     "wg_ip",      "port",
    "healthy", "weight", "soft_limit", "hard_limit", "deleted"};

/// What a database holds beyond the required columns.
struct db_shape {
    bool has_country = false;          // backends.country (edgeProxy added it later)
    bool has_rowid = true;             // false for views and WITHOUT ROWID tables
    bool has_country_regions = false;  // country_regions(country, region), usable
    bool has_draining = false;         // draining(id), usable
    bool has_send_proxy = false;       // send_proxy(id, version), usable
    bool has_wg_peers = false;         // wg_peers(public_key, …), usable
    bool has_health_checks = false;    // health_checks(id, kind, …), usable
    bool has_sync_state = false;       // sync_state(key, value): written by a feed
    /// Optional tables present but unusable (missing columns): "table X lacks column Y".
    std::vector<std::string> ignored_tables;
};

/// Inspects the schema inside the caller's read transaction. wrong_schema when `backends` is
/// missing or lacks a required column; corrupt/locked/io as SQLite reports them. Control thread
/// or tools.
result<db_shape, load_error> detect_shape(const sqlite_db& db);

/// The columns of each optional table, as the loader reads them (and the writer writes them).
inline constexpr const char* wg_peer_columns[] = {"public_key", "preshared_key", "endpoint",
                                                  "allowed_ips", "persistent_keepalive"};
inline constexpr const char* health_check_columns[] = {
    "id",          "kind",       "send", "expect", "http_path", "http_status",
    "interval_ms", "timeout_ms", "rise", "fall",   "jitter_ms"};

/// DDL for a new routing.db: `backends` with the country column and every optional table
/// (`country_regions`, `draining`, `send_proxy`, `wg_peers`, `health_checks`, `sync_state`).
/// Every statement is "IF NOT EXISTS". Tools.
const char* schema_sql() noexcept;

/// The CREATE TABLE IF NOT EXISTS statement of one table of schema_sql(), or nullptr. Tools.
const char* table_sql(std::string_view table) noexcept;

/// The optional tables schema_sql creates, by name.
inline constexpr const char* optional_tables[] = {"country_regions", "draining",      "send_proxy",
                                                  "wg_peers",        "health_checks", "sync_state"};

}  // namespace edge::routing
