// edgectl's routing.db commands: init, check, show, and the backend group (backend_commands.cpp).
// check and show run the proxy's own loader, so what they report is what the proxy will load.

#include <fmt/format.h>

#include "base/strings.hpp"
#include "routing/address.hpp"
#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/writer.hpp"
#include "tools/edgectl/commands.hpp"
#include "tools/edgectl/routing_cli.hpp"

namespace edge::edgectl {

namespace {

int cmd_init(const args& a) {
    auto f = parse_flags(a, 0, {}, {});
    if (f.positional.size() != 1) throw usage_error("init takes DB");
    const std::string& path = f.positional[0];
    auto checked = [](auto r) {
        if (!r) throw std::runtime_error(r.error().detail);
        return std::move(*r);
    };
    auto writer = checked(routing::routing_writer::open(path, true));
    if (auto r = writer.begin(); !r) throw std::runtime_error(r.error().detail);
    std::vector<std::string> done = checked(writer.ensure_schema());
    if (auto r = writer.commit(); !r) throw std::runtime_error(r.error().detail);
    if (done.empty()) fmt::print("{}: already initialised, nothing to do\n", path);
    for (const auto& d : done)
        fmt::print("{}: {}\n", path, d);
    return 0;
}

// Loads like the proxy does (its own registry; host names resolved here).
routing::load_result load(const flag_set& f, const char* cmd) {
    if (f.positional.size() != 1) throw usage_error(fmt::format("{} takes DB", cmd));
    routing::load_options o;
    o.db_path = f.positional[0];
    o.busy_timeout_ms = 5000;
    if (const std::string* r = f.value("region")) {
        auto code = geo::region_code::parse(*r);
        if (!code) throw usage_error(fmt::format("--region '{}' is not a region name", *r));
        o.pop_region = *code;
    }
    routing::backend_registry registry;
    auto res = routing::load_snapshot(o, registry);
    if (!res)
        throw std::runtime_error(
            fmt::format("{} ({})", res.error().detail, routing::failure_name(res.error().kind)));
    return std::move(*res);
}

// Rejected rows, one line each whatever a hand-edited row holds (ids and values escaped).
void print_problems(const routing::load_result& r) {
    for (const auto& row : r.rejected)
        fmt::print("rejected {}: {}\n", escape_control(row.id), escape_control(row.reason));
    for (const auto& w : r.warnings)
        fmt::print("warning: {}\n", escape_control(w));
}

int cmd_check(const args& a) {
    auto f = parse_flags(a, 0, {"region"}, {});
    auto r = load(f, "check");
    print_problems(r);
    std::size_t healthy = 0, draining = 0;
    for (const auto& b : r.snap->backends) {
        healthy += b.healthy;
        draining += b.draining;
    }
    fmt::print("{}: {} backends loaded ({} healthy, {} draining), {} rejected, {} deleted rows\n",
               f.positional[0], r.snap->backends.size(), healthy, draining, r.rejected.size(),
               r.rows_deleted);
    if (!r.snap->wg_peers.empty() || !r.snap->health_checks.empty())
        fmt::print("{}: {} wg peers, {} health check settings\n", f.positional[0],
                   r.snap->wg_peers.size(), r.snap->health_checks.size());
    for (const auto& [key, value] : r.sync_state)
        fmt::print("{}: sync_state {} = {}\n", f.positional[0], escape_control(key),
                   escape_control(value));
    return r.rejected.empty() ? 0 : 1;
}

int cmd_show(const args& a) {
    auto f = parse_flags(a, 0, {"region"}, {});
    auto r = load(f, "show");
    const routing::snapshot& s = *r.snap;
    std::vector<std::vector<std::string>> rows;
    for (const auto& b : s.backends) {
        std::string state = !b.healthy ? "unhealthy" : b.draining ? "draining" : "eligible";
        std::vector<std::string> row = {b.id,
                                        b.app,
                                        b.region.str(),
                                        b.country.known() ? b.country.str() : "-",
                                        to_string(b.address),
                                        std::to_string(b.weight),
                                        std::to_string(b.soft_limit),
                                        b.hard_limit ? std::to_string(b.hard_limit) : "unlimited",
                                        state};
        if (s.pop_region.known()) row.push_back(b.region == s.pop_region ? "2 (pop)" : "3");
        rows.push_back(std::move(row));
    }
    std::vector<std::string> header = {"ID",     "APP",  "REGION", "COUNTRY", "ADDRESS",
                                       "WEIGHT", "SOFT", "HARD",   "STATE"};
    if (s.pop_region.known()) header.push_back("TIER");
    print_table(header, rows);
    if (!s.country_regions.empty()) {
        fmt::print("\ncountry -> region overrides:\n");
        for (const auto& [c, reg] : s.country_regions)
            fmt::print("  {} -> {}\n", c.str(), reg.str());
    }
    if (!r.rejected.empty() || !r.warnings.empty()) fmt::print("\n");
    print_problems(r);
    return 0;
}

}  // namespace

int run_wg_peer(const args& a);  // wg_peer_commands.cpp

int run_routing(const std::string& group, const args& a) {
    try {
        if (group == "wg peer") return run_wg_peer(a);
        if (group == "init") return cmd_init(a);
        if (group == "check") return cmd_check(a);
        if (group == "show") return cmd_show(a);
        if (group == "backend") return run_backend(a);
        throw usage_error(fmt::format("unknown command '{}'", group));
    } catch (const usage_error& e) {
        fmt::print(stderr, "edgectl {}: {}\n(usage: edgectl --help)\n", group, e.what());
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "edgectl {}: {}\n", group, e.what());
        return 1;
    }
}

const char* routing_usage() {
    static const std::string text = fmt::format(
        R"(  init DB                        create routing.db (backends with the country column,
                                 and the optional tables: country_regions, draining,
                                 send_proxy, wg_peers, health_checks, sync_state); on an
                                 existing database, add what is missing
{}
  check DB [--region R]          load DB as the proxy would; list every rejected row;
                                 exit 1 if any row is rejected or DB cannot be read
  show DB [--region R]           the backends as the proxy sees them (resolved addresses,
                                 state, and with --region the tier from this POP))",
        backend_usage());
    return text.c_str();
}

}  // namespace edge::edgectl
