// edgectl backend add|set|list|drain|enable|disable|remove: edits routing.db's backends table in
// write transactions, checking every value with the same validation the proxy applies.
//
// States an operator can put a backend in:
//   enabled   healthy=1, not draining: takes new clients.
//   draining  listed in the `draining` table: no new clients, but clients already bound to it
//             (affinity) keep reaching it until their binding expires; open connections go on.
//   disabled  healthy=0: no new connections at all, bindings to it are dropped; open
//             connections go on.
//   removed   deleted=1 (soft delete, edgeProxy's convention): gone from the proxy's view.

#include <fmt/format.h>

#include <cctype>
#include <optional>

#include "base/nearest_word.hpp"
#include "routing/address.hpp"
#include "routing/row_validation.hpp"
#include "routing/schema.hpp"
#include "tools/edgectl/routing_cli.hpp"

namespace edge::edgectl {

namespace {

using routing::db_value;
using routing::raw_row;
using routing::sqlite_db;

const std::set<std::string> row_flags = {"region", "ip",         "port",       "app",    "country",
                                         "weight", "soft-limit", "hard-limit", "healthy"};

routing::db_shape shape_of(const sqlite_db& db) {
    auto shape = routing::detect_shape(db);
    if (!shape) throw std::runtime_error(shape.error().detail);
    return *shape;
}

// The DB path and the backend id: the two positional arguments every subcommand but list takes.
std::pair<std::string, std::string> db_and_id(const flag_set& f, const char* sub) {
    if (f.positional.size() != 2) throw usage_error(fmt::format("backend {} takes DB and ID", sub));
    return {f.positional[0], f.positional[1]};
}

// Applies command-line values over `row` (text values; validation parses them).
void apply_flags(const flag_set& f, raw_row& row, bool has_country) {
    auto text = [&](const char* flag, db_value& field) {
        if (const std::string* v = f.value(flag)) field = db_value::of(*v);
    };
    // Stored normalised (region lower-case, country upper-case): the proxy compares them
    // case-insensitively, but edgeProxy compares them exactly.
    auto cased = [](std::string v, bool upper) {
        for (char& ch : v)
            ch = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(ch))
                                         : std::tolower(static_cast<unsigned char>(ch)));
        return v;
    };
    if (const std::string* r = f.value("region")) row.region = db_value::of(cased(*r, false));
    text("ip", row.wg_ip);
    text("port", row.port);
    text("app", row.app);
    text("weight", row.weight);
    text("soft-limit", row.soft_limit);
    text("hard-limit", row.hard_limit);
    text("healthy", row.healthy);
    if (const std::string* c = f.value("country")) {
        if (!has_country)
            throw std::runtime_error(
                "this routing.db has no country column; add it with: edgectl init DB");
        row.country =
            (c->empty() || *c == "none") ? db_value::null() : db_value::of(cased(*c, true));
    }
}

// Validates the row as the proxy would. With --no-resolve a syntactically valid host name is
// accepted without asking DNS (for a database edited away from the proxy's network).
void validate(const raw_row& row, bool resolve) {
    raw_row check = row;
    if (!resolve && row.wg_ip.t == db_value::type::text && !parse_ip_literal(row.wg_ip.s, 1) &&
        routing::is_host_name(row.wg_ip.s))
        check.wg_ip = db_value::of(std::string("192.0.2.1"));
    routing::address_resolver resolver;
    if (auto v = routing::validate_row(check, resolver); !v) throw usage_error(v.error());
}

// The active row with this id, if any (with `found_deleted` set when only a deleted one exists).
std::optional<raw_row> read_row(const sqlite_db& db, const std::string& id, bool has_country,
                                bool* found_deleted = nullptr) {
    auto st = prepare(db, fmt::format("SELECT id, app, region, {}, wg_ip, port, healthy, weight, "
                                      "soft_limit, hard_limit, deleted FROM backends WHERE id = ?1",
                                      has_country ? "country" : "NULL"));
    st.bind_text(1, id);
    std::optional<raw_row> active;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
        raw_row r;
        db_value* fields[] = {&r.id,         &r.app,        &r.region,  &r.country,
                              &r.wg_ip,      &r.port,       &r.healthy, &r.weight,
                              &r.soft_limit, &r.hard_limit, &r.deleted};
        for (int i = 0; i < 11; ++i)
            *fields[i] = st.value(i);
        auto d = r.deleted.as_integer();
        if (r.deleted.is_null() || (d && *d == 0))
            active = std::move(r);
        else if (found_deleted)
            *found_deleted = true;
    }
    if (rc != SQLITE_DONE) throw std::runtime_error(db.error(rc, "reading backends").detail);
    return active;
}

struct column {
    const char* name;
    const db_value* value;
    bool numeric;  // stored as an INTEGER when it parses as one, as edgeProxy writes them
};

std::vector<column> columns_of(const raw_row& row, bool has_country) {
    std::vector<column> c = {{"app", &row.app, false}, {"region", &row.region, false}};
    if (has_country) c.push_back({"country", &row.country, false});
    c.insert(c.end(), {{"wg_ip", &row.wg_ip, false},
                       {"port", &row.port, true},
                       {"healthy", &row.healthy, true},
                       {"weight", &row.weight, true},
                       {"soft_limit", &row.soft_limit, true},
                       {"hard_limit", &row.hard_limit, true},
                       {"deleted", &row.deleted, true}});
    return c;
}

void bind_value(routing::sqlite_stmt& st, int i, const column& c) {
    const db_value& v = *c.value;
    auto n = v.as_integer();
    if (v.is_null())
        st.bind_null(i);
    else if (v.t == db_value::type::integer || (c.numeric && n))
        st.bind_int(i, *n);
    else
        st.bind_text(i, v.as_text());
}

enum class write_mode { insert, update_active, update_any };

// Inserts `row`, or writes every column of it over the active row (or any row) with its id.
void write_row(const sqlite_db& db, const raw_row& row, bool has_country, write_mode mode) {
    auto cols = columns_of(row, has_country);
    std::string names, marks, sets;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        const char* sep = i ? ", " : "";
        names += fmt::format("{}{}", sep, cols[i].name);
        marks += fmt::format("{}?{}", sep, i + 2);
        sets += fmt::format("{}{} = ?{}", sep, cols[i].name, i + 2);
    }
    std::string sql;
    if (mode == write_mode::insert)
        sql = fmt::format("INSERT INTO backends (id, {}) VALUES (?1, {})", names, marks);
    else
        sql = fmt::format(
            "UPDATE backends SET {} WHERE id = ?1{}", sets,
            mode == write_mode::update_active ? " AND (deleted IS NULL OR deleted = 0)" : "");
    auto st = prepare(db, sql);
    st.bind_text(1, row.id.as_text());
    for (std::size_t i = 0; i < cols.size(); ++i)
        bind_value(st, static_cast<int>(i + 2), cols[i]);
    step_done(db, st);
}

void set_draining(const sqlite_db& db, const std::string& id, bool on, bool table_exists) {
    if (on) {
        exec(db, "CREATE TABLE IF NOT EXISTS draining (id TEXT PRIMARY KEY)");
        auto st = prepare(db, "INSERT OR IGNORE INTO draining (id) VALUES (?1)");
        st.bind_text(1, id);
        step_done(db, st);
    } else if (table_exists) {
        auto st = prepare(db, "DELETE FROM draining WHERE id = ?1");
        st.bind_text(1, id);
        step_done(db, st);
    }
}

// ---- the subcommands ----

// send-proxy: the PROXY protocol header the proxy writes to this backend before the client's
// bytes, so that it sees the client's address. Kept in an optional table of its own, like
// `draining`, so that edgeProxy's positional INSERTs into `backends` keep working.
int cmd_send_proxy(const args& a) {
    auto f = parse_flags(a, 1, {}, {});
    if (f.positional.size() != 3) throw usage_error("backend send-proxy takes DB ID v1|v2|off");
    const std::string& path = f.positional[0];
    const std::string& id = f.positional[1];
    const std::string& what = f.positional[2];
    int version;
    if (what == "v1" || what == "1")
        version = 1;
    else if (what == "v2" || what == "2")
        version = 2;
    else if (what == "off" || what == "none" || what == "0")
        version = 0;
    else
        throw usage_error(fmt::format("send-proxy: '{}' is not v1, v2 or off", what));
    auto db = open_routing_db(path, sqlite_db::mode::read_write);
    write_transaction tx(db);
    auto shape = shape_of(db);
    if (!read_row(db, id, shape.has_country))
        throw std::runtime_error(fmt::format("no backend '{}'", id));
    if (version != 0) {
        exec(db,
             "CREATE TABLE IF NOT EXISTS send_proxy (id TEXT PRIMARY KEY, version INTEGER NOT "
             "NULL)");
        auto st = prepare(db, "INSERT OR REPLACE INTO send_proxy (id, version) VALUES (?1, ?2)");
        st.bind_text(1, id);
        st.bind_int(2, version);
        step_done(db, st);
    } else if (shape.has_send_proxy) {
        auto st = prepare(db, "DELETE FROM send_proxy WHERE id = ?1");
        st.bind_text(1, id);
        step_done(db, st);
    }
    tx.commit();
    if (version)
        fmt::print("backend '{}' gets a PROXY v{} header before each client's bytes\n", id,
                   version);
    else
        fmt::print("backend '{}' gets no PROXY header\n", id);
    return 0;
}

int cmd_add(const args& a) {
    auto f = parse_flags(a, 1, row_flags, {"unhealthy", "no-resolve"});
    auto [path, id] = db_and_id(f, "add");
    for (const char* need : {"region", "ip", "port"})
        if (!f.value(need)) throw usage_error(fmt::format("backend add needs --{}", need));
    if (f.value("healthy") && f.switches.count("unhealthy"))
        throw usage_error("give --healthy or --unhealthy, not both");

    raw_row row;
    row.id = db_value::of(id);
    row.app = db_value::of(std::string());
    row.healthy = db_value::of(std::int64_t{f.switches.count("unhealthy") ? 0 : 1});
    row.weight = db_value::of(std::int64_t{1});
    row.soft_limit = db_value::of(std::int64_t{100});
    row.hard_limit = db_value::of(std::int64_t{0});
    row.deleted = db_value::of(std::int64_t{0});

    auto db = open_routing_db(path, sqlite_db::mode::read_write);
    write_transaction tx(db);
    auto shape = shape_of(db);
    apply_flags(f, row, shape.has_country);
    validate(row, !f.switches.count("no-resolve"));
    bool deleted = false;
    if (read_row(db, id, shape.has_country, &deleted))
        throw std::runtime_error(
            fmt::format("backend '{}' already exists (change it with: edgectl backend set)", id));
    write_row(db, row, shape.has_country, deleted ? write_mode::update_any : write_mode::insert);
    set_draining(db, id, false, shape.has_draining);
    tx.commit();
    fmt::print("{} backend '{}'\n", deleted ? "re-added removed" : "added", id);
    return 0;
}

int cmd_set(const args& a) {
    auto f = parse_flags(a, 1, row_flags, {"no-resolve"});
    auto [path, id] = db_and_id(f, "set");
    if (f.values.empty()) throw usage_error("backend set needs at least one --field value");
    auto db = open_routing_db(path, sqlite_db::mode::read_write);
    write_transaction tx(db);
    auto shape = shape_of(db);
    auto row = read_row(db, id, shape.has_country);
    if (!row) throw std::runtime_error(fmt::format("no backend '{}'", id));
    apply_flags(f, *row, shape.has_country);
    validate(*row, !f.switches.count("no-resolve"));
    write_row(db, *row, shape.has_country, write_mode::update_active);
    tx.commit();
    fmt::print("updated backend '{}'\n", id);
    return 0;
}

int cmd_list(const args& a) {
    auto f = parse_flags(a, 1, {}, {"all"});
    if (f.positional.size() != 1) throw usage_error("backend list takes DB");
    auto db = open_routing_db(f.positional[0], sqlite_db::mode::read_only);
    exec(db, "BEGIN");
    auto shape = shape_of(db);
    auto st = prepare(
        db, fmt::format("SELECT id, app, region, {}, wg_ip, port, healthy, weight, soft_limit, "
                        "hard_limit, deleted, {}, {} FROM backends{}",
                        shape.has_country ? "country" : "NULL",
                        shape.has_draining ? "id IN (SELECT id FROM draining)" : "0",
                        shape.has_send_proxy
                            ? "(SELECT version FROM send_proxy WHERE send_proxy.id = backends.id)"
                            : "NULL",
                        shape.has_rowid ? " ORDER BY rowid" : ""));
    std::vector<std::vector<std::string>> rows;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
        auto del = st.value(10);
        bool is_deleted = !del.is_null() && del.as_integer().value_or(1) != 0;
        if (is_deleted && !f.switches.count("all")) continue;
        std::vector<std::string> r;
        for (int i = 0; i < 11; ++i) {
            auto v = st.value(i);
            r.push_back(v.is_null() ? (i == 3 && !shape.has_country ? "-" : "NULL") : v.as_text());
        }
        r.push_back(st.integer(11) ? "yes" : "no");
        r.push_back(st.is_null(12) ? "-" : fmt::format("v{}", st.integer(12)));
        rows.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) throw std::runtime_error(db.error(rc, "reading backends").detail);
    print_table({"ID", "APP", "REGION", "COUNTRY", "WG_IP", "PORT", "HEALTHY", "WEIGHT", "SOFT",
                 "HARD", "DELETED", "DRAINING", "SEND_PROXY"},
                rows);
    return 0;
}

// drain, enable, disable, remove: one state change on an active backend.
int cmd_state(const args& a, const std::string& sub) {
    auto f = parse_flags(a, 1, {}, {});
    auto [path, named_id] = db_and_id(f, sub.c_str());
    const std::string& id = named_id;  // clang 14 cannot capture a structured binding (below)
    auto db = open_routing_db(path, sqlite_db::mode::read_write);
    write_transaction tx(db);
    auto shape = shape_of(db);
    if (!read_row(db, id, shape.has_country))
        throw std::runtime_error(fmt::format("no backend '{}'", id));
    auto update = [&](const char* assignment) {
        auto st = prepare(db, fmt::format("UPDATE backends SET {} WHERE id = ?1 AND (deleted IS "
                                          "NULL OR deleted = 0)",
                                          assignment));
        st.bind_text(1, id);
        step_done(db, st);
    };
    const char* done;
    if (sub == "drain") {
        set_draining(db, id, true, shape.has_draining);
        done = "draining (no new clients; bound clients stay until their binding expires)";
    } else if (sub == "enable") {
        update("healthy = 1");
        set_draining(db, id, false, shape.has_draining);
        done = "enabled";
    } else if (sub == "disable") {
        update("healthy = 0");
        done = "disabled (no new connections; open ones continue)";
    } else {
        update("deleted = 1");
        set_draining(db, id, false, shape.has_draining);
        done = "removed (soft delete: deleted = 1)";
    }
    tx.commit();
    fmt::print("backend '{}' {}\n", id, done);
    return 0;
}

}  // namespace

int run_backend(const args& a) {
    if (a.empty()) throw usage_error("backend needs a subcommand");
    const std::string& sub = a[0];
    if (sub == "--help" || sub == "help") {
        fmt::print("usage:\n{}\n", backend_usage());
        return 0;
    }
    if (sub == "add") return cmd_add(a);
    if (sub == "set") return cmd_set(a);
    if (sub == "list") return cmd_list(a);
    if (sub == "send-proxy") return cmd_send_proxy(a);
    if (sub == "drain" || sub == "enable" || sub == "disable" || sub == "remove")
        return cmd_state(a, sub);
    throw usage_error(fmt::format("unknown backend subcommand '{}'{}", sub,
                                  did_you_mean(sub, {"add", "set", "list", "send-proxy", "drain",
                                                     "enable", "disable", "remove", "help"})));
}

const char* backend_usage() {
    return R"(  backend add DB ID --region R --ip ADDR --port N [--app A] [--country CC]
              [--weight N] [--soft-limit N] [--hard-limit N] [--unhealthy] [--no-resolve]
                                 add a backend (ADDR: IPv4, IPv6 or a host name that resolves;
                                 defaults: weight 1, soft-limit 100, hard-limit 0 = unlimited)
  backend set DB ID [--region R] [--ip ADDR] [--port N] [--app A] [--country CC|none]
              [--weight N] [--soft-limit N] [--hard-limit N] [--healthy 0|1] [--no-resolve]
                                 change fields of a backend
  backend list DB [--all]        the rows as stored (--all: soft-deleted rows too)
  backend drain DB ID            no new clients; clients bound to it stay until their
                                 binding expires; open connections continue
  backend enable DB ID           healthy = 1 and not draining
  backend disable DB ID          healthy = 0: no new connections, bindings dropped;
                                 open connections continue
  backend remove DB ID           soft delete (deleted = 1)
  backend send-proxy DB ID v1|v2|off
                                 write a PROXY protocol header (v1 text or v2 binary) to this
                                 backend before each client's bytes, so it sees the client's
                                 address; off: none (the default))";
}

}  // namespace edge::edgectl
