// edgectl status: what a running edgeproxy holds, read from its admin endpoint (GET /status) and
// printed like HAProxy's "show servers state": a few lines about the process, then one row per
// backend.

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/edgectl/admin_client.hpp"
#include "tools/edgectl/commands.hpp"
#include "tools/edgectl/routing_cli.hpp"

namespace edge::edgectl {

namespace {

using json = nlohmann::json;

std::string human_bytes(double n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (n >= 1024 && i < 4) {
        n /= 1024;
        ++i;
    }
    return i == 0 ? fmt::format("{:.0f}", n) : fmt::format("{:.1f}{}", n, units[i]);
}

std::string human_duration(double s) {
    auto t = static_cast<long long>(s);
    if (t >= 86400) return fmt::format("{}d{}h", t / 86400, t % 86400 / 3600);
    if (t >= 3600) return fmt::format("{}h{}m", t / 3600, t % 3600 / 60);
    if (t >= 60) return fmt::format("{}m{}s", t / 60, t % 60);
    return fmt::format("{}s", t);
}

/// A JSON value as a table cell: strings bare (control characters shown as \xNN, so a row stays
/// one line), null as "-".
std::string cell(const json& v) {
    if (v.is_null()) return "-";
    if (!v.is_string()) return v.dump();
    std::string out;
    for (char c : v.get<std::string>()) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else
            out.push_back(c);
    }
    return out.empty() ? "-" : out;
}

void print_summary(const json& s) {
    fmt::print("edgeproxy {} (pid {}), up {}, {} workers, region {}{}\n", cell(s["version"]),
               s["pid"].get<long long>(), human_duration(s["uptime_s"].get<double>()),
               s["workers"].size(), cell(s["region"]),
               s["draining"].get<bool>() ? ", DRAINING" : "");
    const json& r = s["routing"];
    fmt::print("routing.db {}: generation {}, loaded {}, {} backends, {} rows rejected\n",
               cell(r["db"]), cell(r["generation"]), cell(r["loaded"]), r["backends"].dump(),
               r.value("rows_rejected", 0));
    if (s["geoip"].is_null())
        fmt::print("GeoIP: off\n");
    else
        fmt::print("GeoIP: {} ({}), built {}\n", cell(s["geoip"]["type"]), cell(s["geoip"]["path"]),
                   cell(s["geoip"]["built"]));
    std::string listeners;
    for (const json& l : s["listeners"])
        listeners += fmt::format("{}{}{}", listeners.empty() ? "" : ", ", cell(l["address"]),
                                 l["proxy_protocol"].get<bool>() ? " (PROXY)" : "");
    fmt::print("listeners: {}\n", listeners);
    const json& c = s["connections"];
    std::string refused;
    for (const auto& [reason, n] : c["rejected"].items())
        if (n.get<unsigned long long>() != 0)
            refused += fmt::format("{}{} {}", refused.empty() ? "" : ", ", reason, n.dump());
    fmt::print("connections: {} open, {} total; refused: {}; bytes {} up, {} down\n",
               c["current"].dump(), c["total"].dump(), refused.empty() ? "none" : refused,
               human_bytes(s["bytes"]["client_to_backend"].get<double>()),
               human_bytes(s["bytes"]["backend_to_client"].get<double>()));
    if (!s["access_log"].is_null()) {
        const json& a = s["access_log"];
        fmt::print("access log: {} ({}), {} lines, {} dropped\n", cell(a["destination"]),
                   cell(a["format"]), a["lines"].dump(),
                   a["dropped_buffer_full"].get<unsigned long long>() +
                       a["dropped_write_error"].get<unsigned long long>());
    }
    fmt::print("\n");
}

void print_backends(const json& s) {
    std::vector<std::vector<std::string>> rows;
    for (const json& b : s["backends"]) {
        rows.push_back({cell(b["id"]), cell(b["app"]), cell(b["address"]), cell(b["region"]),
                        cell(b["country"]), b["weight"].dump(), b["soft_limit"].dump(),
                        b["hard_limit"].get<long long>() ? b["hard_limit"].dump() : "-",
                        cell(b["state"]), b["live"].dump(), b["connections_total"].dump(),
                        b["connect_failures"].dump(), human_bytes(b["bytes_up"].get<double>()),
                        human_bytes(b["bytes_down"].get<double>())});
    }
    if (rows.empty()) {
        fmt::print("no backends in the table in force\n");
        return;
    }
    print_table({"ID", "APP", "ADDRESS", "REGION", "COUNTRY", "WEIGHT", "SOFT", "HARD", "STATE",
                 "LIVE", "TOTAL", "FAILED", "BYTES_UP", "BYTES_DOWN"},
                rows);
}

}  // namespace

const char* status_usage() {
    return "  status [--admin ADDR] [--token-file PATH] [--json]\n"
           "                        what a running edgeproxy holds: process, routing table in\n"
           "                        force, every backend's state and counters (default admin\n"
           "                        address 127.0.0.1:9090; env EDGECTL_ADMIN)";
}

int run_status(const args& a) {
    flag_set f;
    try {
        f = parse_flags(a, 0, {"admin", "token-file"}, {"json"});
        if (!f.positional.empty()) throw usage_error("status takes no positional arguments");
    } catch (const usage_error& e) {
        fmt::print(stderr, "edgectl status: {}\nusage:\n{}\n", e.what(), status_usage());
        return 2;
    }
    const std::string body =
        admin_fetch(f.value("admin"), f.value("token-file"), "/status", "status");
    json s = json::parse(body, nullptr, false);
    if (s.is_discarded() || !s.is_object())
        throw std::runtime_error("GET /status did not answer JSON");
    if (f.has("json")) {
        fmt::print("{}\n", s.dump(2));
        return 0;
    }
    print_summary(s);
    print_backends(s);
    return 0;
}

}  // namespace edge::edgectl
