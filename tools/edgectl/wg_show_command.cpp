// edgectl wg show: what `wg show` prints for a WireGuard interface — the proxy's tunnel, its
// peers, their endpoints, latest handshakes and transfer — read from the running proxy's admin
// endpoint (GET /wg).

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tools/edgectl/admin_client.hpp"
#include "tools/edgectl/commands.hpp"
#include "tools/edgectl/routing_cli.hpp"

namespace edge::edgectl {

namespace {

using json = nlohmann::json;

// wg(8)'s way of saying sizes and ages.
std::string wg_bytes(double n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (n >= 1024 && i < 4) {
        n /= 1024;
        ++i;
    }
    return i == 0 ? fmt::format("{:.0f} B", n) : fmt::format("{:.2f} {}", n, units[i]);
}

std::string wg_ago(long long s) {
    std::string out;
    auto part = [&](long long v, const char* unit) {
        if (v == 0) return;
        out += fmt::format("{}{} {}{}", out.empty() ? "" : ", ", v, unit, v == 1 ? "" : "s");
    };
    part(s / 86400, "day");
    part(s % 86400 / 3600, "hour");
    part(s % 3600 / 60, "minute");
    part(s % 60, "second");
    return out.empty() ? "Now" : out + " ago";
}

}  // namespace

int run_wg_show(const args& a) {
    flag_set f;
    try {
        f = parse_flags(a, 1, {"admin", "token-file"}, {"json"});
        if (!f.positional.empty()) throw usage_error("wg show takes no positional arguments");
    } catch (const usage_error& e) {
        fmt::print(stderr,
                   "edgectl wg show: {}\nusage: edgectl wg show [--admin ADDR] [--token-file "
                   "PATH] [--json]\n",
                   e.what());
        return 2;
    }
    const std::string body = admin_fetch(f.value("admin"), f.value("token-file"), "/wg", "wg show");
    json w = json::parse(body, nullptr, false);
    if (w.is_discarded()) throw std::runtime_error("GET /wg did not answer JSON");
    if (w.is_null()) {
        fmt::print(stderr, "edgectl wg show: this edgeproxy runs no tunnel (no --wg-config)\n");
        return 1;
    }
    if (f.has("json")) {
        fmt::print("{}\n", w.dump(2));
        return 0;
    }
    fmt::print("interface: {}\n  public key: {}\n  private key: (hidden)\n  listening port: {}\n",
               w.value("interface", ""), w.value("public_key", ""), w.value("listen_port", 0));
    for (const json& p : w.value("peers", json::array())) {
        fmt::print("\npeer: {}\n", p.value("public_key", ""));
        if (p.value("preshared_key", false)) fmt::print("  preshared key: (hidden)\n");
        if (p.contains("endpoint") && p["endpoint"].is_string())
            fmt::print("  endpoint: {}\n", p["endpoint"].get<std::string>());
        std::string ips;
        for (const json& ip : p.value("allowed_ips", json::array()))
            ips += (ips.empty() ? "" : ", ") + ip.get<std::string>();
        fmt::print("  allowed ips: {}\n", ips.empty() ? "(none)" : ips);
        if (p.contains("latest_handshake_seconds_ago") &&
            p["latest_handshake_seconds_ago"].is_number())
            fmt::print("  latest handshake: {}\n",
                       wg_ago(p["latest_handshake_seconds_ago"].get<long long>()));
        double rx = p.value("rx_bytes", 0.0), tx = p.value("tx_bytes", 0.0);
        if (rx > 0 || tx > 0)
            fmt::print("  transfer: {} received, {} sent\n", wg_bytes(rx), wg_bytes(tx));
        if (int k = p.value("persistent_keepalive", 0); k > 0)
            fmt::print("  persistent keepalive: every {} seconds\n", k);
        fmt::print("  source: {}\n", p.value("source", ""));
    }
    return 0;
}

}  // namespace edge::edgectl
