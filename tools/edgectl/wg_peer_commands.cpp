// edgectl wg peer add|remove|list: the optional `wg_peers` table (issue 13), the WireGuard peers
// of the proxy's own tunnel, in a routing.db or (--etcd) in etcd. The POP's private key never goes
// there; a preshared key is read from a file (never from the command line, where `ps` shows it)
// and never printed.

#include <fmt/format.h>

#include <fstream>

#include "base/key_base64.hpp"
#include "base/strings.hpp"
#include "routing/wg_peer_validation.hpp"
#include "tools/edgectl/routing_store.hpp"

namespace edge::edgectl {

namespace {

using routing::db_value;

std::string read_key_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(fmt::format("cannot read {}", path));
    std::string line;
    std::getline(in, line);
    std::string key(edge::trim(line));
    if (!edge::key_from_base64(key))
        throw usage_error(
            fmt::format("{} does not hold a key (44 characters of base64, as "
                        "`wg genpsk` prints)",
                        path));
    return key;
}

int cmd_add(const args& a) {
    std::set<std::string> values = {"endpoint", "allowed-ips", "keepalive", "preshared-key-file"};
    values.insert(store_value_flags.begin(), store_value_flags.end());
    auto f = parse_flags(a, 2, values, {"no-resolve"});
    bool etcd = f.value("etcd") != nullptr;
    if (f.positional.size() != (etcd ? 1u : 2u))
        throw usage_error("wg peer add takes [DB] PUBLIC_KEY");
    std::string db = etcd ? std::string() : f.positional[0];
    std::string key(edge::trim(f.positional.back()));
    routing::raw_wg_peer row;
    row.public_key = db_value::of(key);
    take_flag(f, "endpoint", row.endpoint);
    row.allowed_ips = db_value::of(f.value("allowed-ips") ? *f.value("allowed-ips") : "");
    take_flag(f, "keepalive", row.persistent_keepalive);
    if (const std::string* p = f.value("preshared-key-file"))
        row.preshared_key = db_value::of(read_key_file(*p));
    routing::address_resolver resolver(!f.switches.count("no-resolve"));
    if (auto v = routing::validate_wg_peer(row, resolver); !v) throw usage_error(v.error());
    run_edit(f, db, !f.switches.count("no-resolve"), [&](routing_store& s) {
        s.put_wg_peer(row);
        return 0;
    });
    fmt::print("wg peer {} written\n", key);
    return 0;
}

int cmd_remove(const args& a) {
    auto f = parse_flags(a, 2, store_value_flags, {});
    bool etcd = f.value("etcd") != nullptr;
    if (f.positional.size() != (etcd ? 1u : 2u))
        throw usage_error("wg peer remove takes [DB] PUBLIC_KEY");
    std::string db = etcd ? std::string() : f.positional[0];
    std::string key(edge::trim(f.positional.back()));
    run_edit(f, db, false, [&](routing_store& s) {
        s.remove_wg_peer(key);
        return 0;
    });
    fmt::print("wg peer {} removed\n", escape_control(key));
    return 0;
}

int cmd_list(const args& a) {
    auto f = parse_flags(a, 2, store_value_flags, {});
    bool etcd = f.value("etcd") != nullptr;
    if (f.positional.size() != (etcd ? 0u : 1u)) throw usage_error("wg peer list takes [DB]");
    std::string db = etcd ? std::string() : f.positional[0];
    routing::table_set t = open_store(f, db, false)->rows();
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : t.wg_peers) {
        bool psk = !p.preshared_key.is_null() && !edge::trim(p.preshared_key.as_text()).empty();
        rows.push_back({p.public_key.as_text(), p.endpoint.is_null() ? "-" : p.endpoint.as_text(),
                        p.allowed_ips.is_null() ? "" : p.allowed_ips.as_text(),
                        p.persistent_keepalive.is_null() ? "off" : p.persistent_keepalive.as_text(),
                        psk ? "(set)" : "-"});
    }
    print_table({"PUBLIC_KEY", "ENDPOINT", "ALLOWED_IPS", "KEEPALIVE", "PRESHARED_KEY"}, rows);
    return 0;
}

}  // namespace

int run_wg_peer(const args& a) {
    if (a.size() < 2) throw usage_error("wg peer needs add, remove or list");
    const std::string& sub = a[1];
    if (sub == "add") return cmd_add(a);
    if (sub == "remove") return cmd_remove(a);
    if (sub == "list") return cmd_list(a);
    throw usage_error(fmt::format("unknown wg peer subcommand '{}'", sub));
}

}  // namespace edge::edgectl
