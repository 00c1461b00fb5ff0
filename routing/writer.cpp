// routing_writer: validated edits of routing.db in write transactions. The column lists and the
// DDL come from routing/schema, the checks from the loader's validation files, so the writer and
// the loader cannot drift apart.

#include "routing/writer.hpp"

#include <fmt/format.h>

#include <initializer_list>
#include <span>

#include "base/key_base64.hpp"
#include "base/strings.hpp"
#include "routing/address.hpp"
#include "routing/field_checks.hpp"
#include "routing/health_check_validation.hpp"
#include "routing/option_tables.hpp"
#include "routing/row_validation.hpp"
#include "routing/table_reader.hpp"
#include "routing/wg_peer_validation.hpp"

namespace edge::routing {

namespace {

write_error invalid(std::string why) {
    return write_error{write_error::kind::invalid, std::move(why)};
}

struct column {
    const char* name;
    const db_value* value;
    bool numeric;
};

}  // namespace

write_error db_write_error(const load_error& e) {
    return write_error{write_error::kind::db, e.detail};
}

std::string backend_row_problem(const raw_row& row, const write_options& opts) {
    address_resolver resolver(opts.resolve_host_names);
    auto v = validate_row(row, resolver);
    return v ? std::string() : std::move(v.error());
}

result<routing_writer, write_error> routing_writer::open(const std::string& path, bool create,
                                                         write_options opts, int busy_timeout_ms) {
    auto db = sqlite_db::open(path, create ? sqlite_db::mode::create : sqlite_db::mode::read_write,
                              busy_timeout_ms);
    if (!db) {
        write_error e = db_write_error(db.error());
        if (db.error().kind == load_failure::missing)
            e.detail =
                fmt::format("{} does not exist (create it with: edgectl init {})", path, path);
        return unexpected(std::move(e));
    }
    return routing_writer(std::move(*db), opts);
}

routing_writer::~routing_writer() {
    if (db_) rollback();
}

result<void, write_error> routing_writer::begin() {
    if (auto r = db_.exec("BEGIN IMMEDIATE"); !r) return unexpected(db_write_error(r.error()));
    in_transaction_ = true;
    // A brand-new file has no backends table yet: its shape is "nothing", ensure_schema fixes it.
    auto shape = detect_shape(db_);
    has_backends_ = shape.has_value();
    if (shape)
        shape_ = std::move(*shape);
    else if (shape.error().kind == load_failure::wrong_schema)
        shape_ = db_shape{};
    else
        return unexpected(db_write_error(shape.error()));
    return {};
}

result<void, write_error> routing_writer::commit() {
    if (auto r = db_.exec("COMMIT"); !r) return unexpected(db_write_error(r.error()));
    in_transaction_ = false;
    return {};
}

void routing_writer::rollback() noexcept {
    if (in_transaction_) (void)db_.exec("ROLLBACK");
    in_transaction_ = false;
}

result<std::vector<std::string>, write_error> routing_writer::ensure_schema() {
    std::vector<std::string> done;
    auto exists = [&](const char* table) -> result<bool, write_error> {
        auto st = db_.prepare(
            "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?1");
        if (!st) return unexpected(db_write_error(st.error()));
        st->bind_text(1, table);
        int rc = st->step();
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return unexpected(db_write_error(db_.error(rc, "reading the schema")));
        return rc == SQLITE_ROW;
    };
    auto had_backends = exists("backends");
    if (!had_backends) return unexpected(had_backends.error());
    for (const char* t : {"backends", "country_regions", "draining", "send_proxy", "wg_peers",
                          "health_checks", "sync_state"}) {
        auto e = exists(t);
        if (!e) return unexpected(e.error());
        if (!*e) done.push_back(fmt::format("created table {}", t));
    }
    if (*had_backends) {
        // An edgeProxy database from before the country column: add it (edgeProxy reads it too).
        auto shape = detect_shape(db_);
        if (!shape) return unexpected(db_write_error(shape.error()));
        if (!shape->has_country) {
            if (auto r = db_.exec("ALTER TABLE backends ADD COLUMN country TEXT"); !r)
                return unexpected(db_write_error(r.error()));
            done.push_back("added column backends.country");
        }
    }
    if (auto r = db_.exec(schema_sql()); !r) return unexpected(db_write_error(r.error()));
    auto shape = detect_shape(db_);
    if (!shape) return unexpected(db_write_error(shape.error()));
    shape_ = std::move(*shape);
    has_backends_ = true;
    return done;
}

result<void, write_error> routing_writer::ensure_table(std::string_view table) {
    if (auto r = db_.exec(table_sql(table)); !r) return unexpected(db_write_error(r.error()));
    auto shape = detect_shape(db_);
    if (!shape) return unexpected(db_write_error(shape.error()));
    shape_ = std::move(*shape);
    return {};
}

result<void, write_error> routing_writer::delete_where(const char* table, const char* column,
                                                       std::string_view value, bool* deleted) {
    auto st = db_.prepare(fmt::format("DELETE FROM \"{}\" WHERE \"{}\" = ?1", table, column));
    if (!st) return unexpected(db_write_error(st.error()));
    st->bind_text(1, value);
    if (int rc = st->step(); rc != SQLITE_DONE)
        return unexpected(db_write_error(db_.error(rc, fmt::format("deleting from {}", table))));
    if (deleted) *deleted = sqlite3_changes(db_.get()) > 0;
    return {};
}

// ---- backends ----

result<std::optional<raw_row>, write_error> routing_writer::find_backend(std::string_view id,
                                                                         bool* removed) {
    if (removed) *removed = false;
    if (!has_backends_) return std::optional<raw_row>{};  // a file not yet initialised
    auto rows = read_backend_rows(db_, shape_, id);
    if (!rows) return unexpected(db_write_error(rows.error()));
    std::optional<raw_row> active;
    for (raw_row& r : *rows) {
        auto d = r.deleted.as_integer();
        if (r.deleted.is_null() || (d && *d == 0))
            active = std::move(r);
        else if (removed)
            *removed = true;
    }
    return active;
}

result<void, write_error> routing_writer::put_backend(const raw_row& row, put_mode mode) {
    if (std::string why = backend_row_problem(row, opts_); !why.empty())
        return unexpected(invalid(std::move(why)));
    if (!has_backends_)
        return unexpected(write_error{
            write_error::kind::db, "no usable backends table (create it with: edgectl init DB)"});
    if (!shape_.has_country && !row.country.is_null())
        return unexpected(
            invalid("this routing.db has no country column; add it with: edgectl init DB"));
    std::string id = row.id.as_text();
    bool removed = false;
    auto active = find_backend(id, &removed);
    if (!active) return unexpected(active.error());
    if (mode == put_mode::add && *active)
        return unexpected(
            write_error{write_error::kind::exists,
                        fmt::format("backend '{}' already exists", escape_control(id))});
    if (mode == put_mode::update && !*active)
        return unexpected(write_error{write_error::kind::not_found,
                                      fmt::format("no backend '{}'", escape_control(id))});
    std::vector<column> cols = {{"app", &row.app, false}, {"region", &row.region, false}};
    if (shape_.has_country) cols.push_back({"country", &row.country, false});
    cols.insert(cols.end(), {{"wg_ip", &row.wg_ip, false},
                             {"port", &row.port, true},
                             {"healthy", &row.healthy, true},
                             {"weight", &row.weight, true},
                             {"soft_limit", &row.soft_limit, true},
                             {"hard_limit", &row.hard_limit, true},
                             {"deleted", &row.deleted, true}});
    std::string names, marks, sets;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        const char* sep = i ? ", " : "";
        names += fmt::format("{}{}", sep, cols[i].name);
        marks += fmt::format("{}?{}", sep, i + 2);
        sets += fmt::format("{}{} = ?{}", sep, cols[i].name, i + 2);
    }
    // A revived or replaced row keeps its rowid (its place in table order); the update touches
    // every row of the id, so that an edgeProxy table with duplicates cannot keep a stale one.
    std::string sql =
        (*active || removed)
            ? fmt::format("UPDATE backends SET {} WHERE id = ?1", sets)
            : fmt::format("INSERT INTO backends (id, {}) VALUES (?1, {})", names, marks);
    auto st = db_.prepare(sql);
    if (!st) return unexpected(db_write_error(st.error()));
    st->bind_text(1, id);
    for (std::size_t i = 0; i < cols.size(); ++i)
        st->bind_value(static_cast<int>(i + 2), *cols[i].value, cols[i].numeric);
    if (int rc = st->step(); rc != SQLITE_DONE)
        return unexpected(db_write_error(db_.error(rc, "writing backends")));
    return {};
}

result<void, write_error> routing_writer::remove_backend(std::string_view id, bool hard) {
    bool gone = false;
    if (!has_backends_) {
        // nothing to remove: not_found below
    } else if (hard) {
        if (auto r = delete_where("backends", "id", id, &gone); !r) return r;
    } else {
        auto st = db_.prepare(
            "UPDATE backends SET deleted = 1 WHERE id = ?1 AND (deleted IS NULL OR deleted = 0)");
        if (!st) return unexpected(db_write_error(st.error()));
        st->bind_text(1, id);
        if (int rc = st->step(); rc != SQLITE_DONE)
            return unexpected(db_write_error(db_.error(rc, "removing a backend")));
        gone = sqlite3_changes(db_.get()) > 0;
    }
    if (shape_.has_draining)
        if (auto r = delete_where("draining", "id", id); !r) return r;
    if (shape_.has_send_proxy)
        if (auto r = delete_where("send_proxy", "id", id); !r) return r;
    if (shape_.has_health_checks)
        if (auto r = delete_where("health_checks", "id", id); !r) return r;
    if (!gone)
        return unexpected(write_error{write_error::kind::not_found,
                                      fmt::format("no backend '{}'", escape_control(id))});
    return {};
}

result<void, write_error> routing_writer::set_draining(std::string_view id, bool on) {
    if (!on)
        return shape_.has_draining ? delete_where("draining", "id", id)
                                   : result<void, write_error>{};
    if (auto v = validate_draining_id(db_value::of(std::string(id))); !v)
        return unexpected(invalid(std::move(v.error())));
    if (auto r = ensure_table("draining"); !r) return r;
    auto st = db_.prepare("INSERT OR IGNORE INTO draining (id) VALUES (?1)");
    if (!st) return unexpected(db_write_error(st.error()));
    st->bind_text(1, id);
    if (int rc = st->step(); rc != SQLITE_DONE)
        return unexpected(db_write_error(db_.error(rc, "writing draining")));
    return {};
}

result<void, write_error> routing_writer::set_send_proxy(std::string_view id, int version) {
    if (version == 0)
        return shape_.has_send_proxy ? delete_where("send_proxy", "id", id)
                                     : result<void, write_error>{};
    raw_send_proxy row{db_value::of(std::string(id)), db_value::of(std::int64_t{version})};
    if (auto v = validate_send_proxy(row); !v) return unexpected(invalid(std::move(v.error())));
    if (auto r = ensure_table("send_proxy"); !r) return r;
    auto st = db_.prepare("INSERT OR REPLACE INTO send_proxy (id, version) VALUES (?1, ?2)");
    if (!st) return unexpected(db_write_error(st.error()));
    st->bind_text(1, id);
    st->bind_int(2, version);
    if (int rc = st->step(); rc != SQLITE_DONE)
        return unexpected(db_write_error(db_.error(rc, "writing send_proxy")));
    return {};
}

// ---- the other optional tables ----

namespace {

// INSERT OR REPLACE of one row whose columns are `names` and values `values` (in order).
result<void, write_error> replace_row(const sqlite_db& db, const char* table,
                                      std::span<const char* const> names,
                                      std::initializer_list<const db_value*> values,
                                      std::initializer_list<bool> numeric) {
    std::string cols, marks;
    for (std::size_t i = 0; i < names.size(); ++i) {
        cols += fmt::format("{}\"{}\"", i ? ", " : "", names[i]);
        marks += fmt::format("{}?{}", i ? ", " : "", i + 1);
    }
    auto st = db.prepare(
        fmt::format("INSERT OR REPLACE INTO \"{}\" ({}) VALUES ({})", table, cols, marks));
    if (!st) return unexpected(db_write_error(st.error()));
    auto num = numeric.begin();
    int i = 1;
    for (const db_value* v : values)
        st->bind_value(i++, *v, *num++);
    if (int rc = st->step(); rc != SQLITE_DONE)
        return unexpected(db_write_error(db.error(rc, fmt::format("writing {}", table))));
    return {};
}

}  // namespace

result<void, write_error> routing_writer::put_country_region(const raw_country_region& row) {
    auto cr = validate_country_region(row);
    if (!cr) return unexpected(invalid(std::move(cr.error())));
    if (auto r = ensure_table("country_regions"); !r) return r;
    // Stored as the loader reads it back: upper-case country, lower-case region.
    db_value country = db_value::of(cr->first.str());
    db_value region = db_value::of(cr->second.str());
    static constexpr const char* names[] = {"country", "region"};
    return replace_row(db_, "country_regions", names, {&country, &region}, {false, false});
}

result<void, write_error> routing_writer::remove_country_region(std::string_view country) {
    if (!shape_.has_country_regions) return {};
    return delete_where("country_regions", "country", country);
}

result<void, write_error> routing_writer::put_wg_peer(const raw_wg_peer& row) {
    address_resolver resolver(opts_.resolve_host_names);
    auto peer = validate_wg_peer(row, resolver);
    if (!peer) return unexpected(invalid(std::move(peer.error())));
    if (auto r = ensure_table("wg_peers"); !r) return r;
    // Another peer with one of the same allowed IPs would be rejected by the loader: refuse it.
    auto all = read_table_set(db_, shape_);
    if (!all) return unexpected(db_write_error(all.error()));
    for (const raw_wg_peer& other_row : all->wg_peers) {
        address_resolver syntax_only(false);
        auto other = validate_wg_peer(other_row, syntax_only);
        if (!other || other->public_key == peer->public_key) continue;
        for (const ip_prefix& p : peer->allowed_ips)
            for (const ip_prefix& q : other->allowed_ips)
                if (p == q)
                    return unexpected(
                        invalid(fmt::format("allowed IP {} already belongs to peer {}",
                                            edge::to_string(p), shown(other_row.public_key))));
    }
    std::string key = key_to_base64(peer->public_key);
    db_value public_key = db_value::of(key);
    return replace_row(db_, "wg_peers", wg_peer_columns,
                       {&public_key, &row.preshared_key, &row.endpoint, &row.allowed_ips,
                        &row.persistent_keepalive},
                       {false, false, false, false, true});
}

result<void, write_error> routing_writer::remove_wg_peer(std::string_view public_key) {
    bool gone = false;
    if (shape_.has_wg_peers)
        if (auto r = delete_where("wg_peers", "public_key", public_key, &gone); !r) return r;
    if (!gone)
        return unexpected(write_error{write_error::kind::not_found,
                                      fmt::format("no wg peer '{}'", escape_control(public_key))});
    return {};
}

result<void, write_error> routing_writer::put_health_check(const raw_health_check& row) {
    auto hc = validate_health_check(row);
    if (!hc) return unexpected(invalid(std::move(hc.error())));
    if (auto r = ensure_table("health_checks"); !r) return r;
    return replace_row(
        db_, "health_checks", health_check_columns,
        {&row.id, &row.kind, &row.send, &row.expect, &row.http_path, &row.http_status,
         &row.interval_ms, &row.timeout_ms, &row.rise, &row.fall, &row.jitter_ms},
        {false, false, false, false, false, false, true, true, true, true, true});
}

result<void, write_error> routing_writer::remove_health_check(std::string_view id) {
    if (!shape_.has_health_checks) return {};
    return delete_where("health_checks", "id", id);
}

result<void, write_error> routing_writer::set_sync_state(std::string_view key,
                                                         std::string_view value) {
    if (auto r = ensure_table("sync_state"); !r) return r;
    db_value k = db_value::of(std::string(key)), v = db_value::of(std::string(value));
    static constexpr const char* names[] = {"key", "value"};
    return replace_row(db_, "sync_state", names, {&k, &v}, {false, false});
}

result<std::optional<std::string>, write_error> routing_writer::sync_state(std::string_view key) {
    if (!shape_.has_sync_state) return std::optional<std::string>{};
    auto st = db_.prepare("SELECT value FROM sync_state WHERE key = ?1");
    if (!st) return unexpected(db_write_error(st.error()));
    st->bind_text(1, key);
    int rc = st->step();
    if (rc == SQLITE_ROW) return std::optional<std::string>(st->text(0));
    if (rc != SQLITE_DONE) return unexpected(db_write_error(db_.error(rc, "reading sync_state")));
    return std::optional<std::string>{};
}

}  // namespace edge::routing
