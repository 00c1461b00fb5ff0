// edgectl backend add|set|list|drain|enable|disable|remove|send-proxy|check: edits the backends
// of routing.db, or with --etcd ENDPOINTS the same rows in etcd (routing_store.hpp), each command
// one transaction, every row checked by routing/'s validation before it is written.
//
// States an operator can put a backend in:
//   enabled   healthy=1, not draining: takes new clients.
//   draining  listed in the `draining` table: no new clients, but clients already bound to it
//             (affinity) keep reaching it until their binding expires; open connections go on.
//   disabled  healthy=0: no new connections at all, bindings to it are dropped; open
//             connections go on.
//   removed   deleted=1 (soft delete, edgeProxy's convention) in a file; the key deleted in
//             etcd: gone from the proxy's view.

#include <fmt/format.h>

#include <cctype>
#include <optional>

#include "base/nearest_word.hpp"
#include "base/strings.hpp"
#include "tools/edgectl/routing_store.hpp"

namespace edge::edgectl {

namespace {

using routing::db_value;
using routing::raw_row;

const std::set<std::string> row_flags = {"region", "ip",         "port",       "app",    "country",
                                         "weight", "soft-limit", "hard-limit", "healthy"};

std::set<std::string> with_store_flags(std::set<std::string> flags) {
    flags.insert(store_value_flags.begin(), store_value_flags.end());
    return flags;
}

// The DB path (none with --etcd) and the positional arguments after it; `want` of them.
std::pair<std::string, std::vector<std::string>> target(const flag_set& f, std::size_t want,
                                                        const char* usage) {
    bool etcd = f.value("etcd") != nullptr;
    if (f.positional.size() != want + (etcd ? 0 : 1)) throw usage_error(usage);
    if (etcd) return {std::string(), f.positional};
    return {f.positional[0],
            std::vector<std::string>(f.positional.begin() + 1, f.positional.end())};
}

// Applies command-line values over `row` (text values; validation parses them).
void apply_flags(const flag_set& f, raw_row& row, bool has_country) {
    // Stored normalised (region lower-case, country upper-case): the proxy compares them
    // case-insensitively, but edgeProxy compares them exactly.
    auto cased = [](std::string v, bool upper) {
        for (char& ch : v)
            ch = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(ch))
                                         : std::tolower(static_cast<unsigned char>(ch)));
        return v;
    };
    if (const std::string* r = f.value("region")) row.region = db_value::of(cased(*r, false));
    take_flag(f, "ip", row.wg_ip);
    take_flag(f, "port", row.port);
    take_flag(f, "app", row.app);
    take_flag(f, "weight", row.weight);
    take_flag(f, "soft-limit", row.soft_limit);
    take_flag(f, "hard-limit", row.hard_limit);
    take_flag(f, "healthy", row.healthy);
    if (const std::string* c = f.value("country")) {
        if (!has_country)
            throw std::runtime_error(
                "this routing.db has no country column; add it with: edgectl init DB");
        row.country =
            (c->empty() || *c == "none") ? db_value::null() : db_value::of(cased(*c, true));
    }
}

// ---- the subcommands ----

// send-proxy: the PROXY protocol header the proxy writes to this backend before the client's
// bytes, so that it sees the client's address. Kept in an optional table of its own, like
// `draining`, so that edgeProxy's positional INSERTs into `backends` keep working.
int cmd_send_proxy(const args& a) {
    auto f = parse_flags(a, 1, store_value_flags, {});
    auto [db, rest] = target(f, 2, "backend send-proxy takes [DB] ID v1|v2|off");
    const std::string& id = rest[0];
    const std::string& what = rest[1];
    int version;
    if (what == "v1" || what == "1")
        version = 1;
    else if (what == "v2" || what == "2")
        version = 2;
    else if (what == "off" || what == "none" || what == "0")
        version = 0;
    else
        throw usage_error(fmt::format("send-proxy: '{}' is not v1, v2 or off", what));
    run_edit(f, db, false, [&](routing_store& s) {
        if (!s.backend(id, nullptr))
            throw std::runtime_error(fmt::format("no backend '{}'", escape_control(id)));
        s.set_send_proxy(id, version);
        return 0;
    });
    if (version)
        fmt::print("backend '{}' gets a PROXY v{} header before each client's bytes\n",
                   escape_control(id), version);
    else
        fmt::print("backend '{}' gets no PROXY header\n", escape_control(id));
    return 0;
}

int cmd_add(const args& a) {
    auto f = parse_flags(a, 1, with_store_flags(row_flags), {"unhealthy", "no-resolve"});
    auto [db, rest] = target(f, 1, "backend add takes [DB] ID");
    const std::string& id = rest[0];
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
    bool revived = run_edit(f, db, !f.switches.count("no-resolve"), [&](routing_store& s) {
        raw_row r = row;
        apply_flags(f, r, s.has_country());
        bool removed = false;
        if (s.backend(id, &removed)) {
            // Validate first: a bad flag is the more useful message.
            if (std::string why = routing::backend_row_problem(r, {false}); !why.empty())
                throw usage_error(why);
            throw std::runtime_error(
                fmt::format("backend '{}' already exists (change it with: edgectl backend set)",
                            escape_control(id)));
        }
        s.put_backend(r, routing::put_mode::add);
        s.set_draining(id, false);
        return removed;
    });
    fmt::print("{} backend '{}'\n", revived ? "re-added removed" : "added", escape_control(id));
    return 0;
}

int cmd_set(const args& a) {
    auto f = parse_flags(a, 1, with_store_flags(row_flags), {"no-resolve"});
    auto [db, rest] = target(f, 1, "backend set takes [DB] ID");
    const std::string& id = rest[0];
    bool any = false;
    for (const auto& flag : row_flags)
        any = any || f.value(flag);
    if (!any) throw usage_error("backend set needs at least one --field value");
    run_edit(f, db, !f.switches.count("no-resolve"), [&](routing_store& s) {
        auto row = s.backend(id, nullptr);
        if (!row) throw std::runtime_error(fmt::format("no backend '{}'", escape_control(id)));
        apply_flags(f, *row, s.has_country());
        s.put_backend(*row, routing::put_mode::update);
        return 0;
    });
    fmt::print("updated backend '{}'\n", escape_control(id));
    return 0;
}

int cmd_list(const args& a) {
    auto f = parse_flags(a, 1, store_value_flags, {"all"});
    auto [db, rest] = target(f, 0, "backend list takes [DB]");
    routing::table_set t = open_store(f, db, false)->rows();
    std::set<std::string> draining(t.draining.begin(), t.draining.end());
    std::map<std::string, std::string> send_proxy;
    for (const auto& sp : t.send_proxy)
        send_proxy[sp.id.as_text()] = fmt::format("v{}", sp.version.as_text());
    std::vector<std::vector<std::string>> rows;
    for (const raw_row& r : t.backends) {
        bool is_deleted = !r.deleted.is_null() && r.deleted.as_integer().value_or(1) != 0;
        if (is_deleted && !f.switches.count("all")) continue;
        std::vector<std::string> cells;
        for (const db_value* v : {&r.id, &r.app, &r.region, &r.country, &r.wg_ip, &r.port,
                                  &r.healthy, &r.weight, &r.soft_limit, &r.hard_limit, &r.deleted})
            cells.push_back(v->is_null() ? (v == &r.country ? "-" : "NULL") : v->as_text());
        std::string id = r.id.as_text();
        cells.push_back(draining.count(id) ? "yes" : "no");
        auto sp = send_proxy.find(id);
        cells.push_back(sp == send_proxy.end() ? "-" : sp->second);
        rows.push_back(std::move(cells));
    }
    print_table({"ID", "APP", "REGION", "COUNTRY", "WG_IP", "PORT", "HEALTHY", "WEIGHT", "SOFT",
                 "HARD", "DELETED", "DRAINING", "SEND_PROXY"},
                rows);
    return 0;
}

// drain, enable, disable, remove: one state change on an active backend.
int cmd_state(const args& a, const std::string& sub) {
    auto f = parse_flags(a, 1, store_value_flags, {});
    auto [db, rest] = target(f, 1, "backend drain|enable|disable|remove takes [DB] ID");
    const std::string id = rest[0];
    const char* done = run_edit(f, db, false, [&](routing_store& s) {
        auto row = s.backend(id, nullptr);
        if (!row) throw std::runtime_error(fmt::format("no backend '{}'", escape_control(id)));
        if (sub == "drain") {
            s.set_draining(id, true);
            return "draining (no new clients; bound clients stay until their binding expires)";
        }
        if (sub == "enable") {
            row->healthy = db_value::of(std::int64_t{1});
            s.put_backend(*row, routing::put_mode::update);
            s.set_draining(id, false);
            return "enabled";
        }
        if (sub == "disable") {
            row->healthy = db_value::of(std::int64_t{0});
            s.put_backend(*row, routing::put_mode::update);
            return "disabled (no new connections; open ones continue)";
        }
        s.remove_backend(id);
        return "removed";
    });
    fmt::print("backend '{}' {}\n", escape_control(id), done);
    return 0;
}

}  // namespace

int run_health_check(const args& a);  // health_check_command.cpp

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
    if (sub == "check") return run_health_check(a);
    if (sub == "drain" || sub == "enable" || sub == "disable" || sub == "remove")
        return cmd_state(a, sub);
    throw usage_error(
        fmt::format("unknown backend subcommand '{}'{}", sub,
                    did_you_mean(sub, {"add", "set", "list", "send-proxy", "check", "drain",
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
  backend remove DB ID           soft delete (deleted = 1; with --etcd the key is deleted)
  backend send-proxy DB ID v1|v2|off
                                 write a PROXY protocol header (v1 text or v2 binary) to this
                                 backend before each client's bytes, so it sees the client's
                                 address; off: none (the default)
  backend check DB ID [--kind tcp|send_expect|http] [--send BYTES] [--expect BYTES]
              [--path P] [--status 2xx|CODE] [--interval D] [--timeout D] [--rise N]
              [--fall N] [--jitter D] | --default
                                 how this POP checks the backend (optional health_checks
                                 table): BYTES take escapes (\r \n \t \0 \\ \xHH); D: 500ms,
                                 2s, 1m; unset settings take the proxy's defaults; --default
                                 removes the override
  Every backend command takes --etcd ENDPOINTS in place of DB (rows written to etcd for
  `edgectl sync` to copy into each POP's routing.db; see `edgectl sync --help`).)";
}

}  // namespace edge::edgectl
