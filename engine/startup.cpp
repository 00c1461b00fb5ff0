#include "engine/startup.hpp"

#include <sys/resource.h>

#include <filesystem>

#include <fmt/format.h>

#include "base/log.hpp"

namespace edge::engine {

result<start_tables, std::string> load_start_tables(const config& cfg,
                                                    routing::backend_registry& registry) {
    routing::load_options lo;
    lo.db_path = cfg.db_path;
    if (!cfg.region.empty()) lo.pop_region = *geo::region_code::parse(cfg.region);
    start_tables t;
    t.source = std::make_unique<routing::table_source>(lo, cfg.region_by_continent, registry);
    routing::reload_report r = t.source->load_now();
    if (r.status == routing::reload_report::outcome::failed) {
        std::string what = fmt::format("{}: {} ({})", cfg.db_path,
                                       routing::failure_name(r.error->kind), r.error->detail);
        if (cfg.check) return unexpected(what);
        log::error("{}; serving with no backends until it can be read", what);
        auto empty = std::make_shared<routing::snapshot>();
        empty->pop_region = lo.pop_region;
        empty->slot_capacity = registry.slot_high_water();
        t.snap = std::move(empty);
        std::vector<std::string> ignored;
        t.region_map = routing::build_region_map(*t.snap, cfg.region_by_continent, ignored);
        return t;
    }
    std::string first_warning;
    for (const routing::report_line& l : r.lines) {
        log::warn("{}", l.text);
        if (first_warning.empty()) first_warning = l.text;
    }
    // --check is strict: a rejected row or an unusable optional table is an error.
    if (cfg.check && r.rows_rejected > 0)
        return unexpected(
            fmt::format("{}: {} rows rejected (listed above)", cfg.db_path, r.rows_rejected));
    if (cfg.check && !first_warning.empty()) return unexpected(first_warning);
    t.snap = std::move(r.snap);
    t.region_map = t.source->region_map();
    t.rows_rejected = r.rows_rejected;
    return t;
}

result<std::unique_ptr<geo::database_watcher>, std::string> open_geoip(const config& cfg) {
    if (cfg.geoip_path.empty()) return std::unique_ptr<geo::database_watcher>();
    auto w = std::make_unique<geo::database_watcher>(cfg.geoip_path);
    if (auto ok = w->load(); !ok) {
        std::string what =
            fmt::format("GeoIP database {}: {}", cfg.geoip_path, geo::describe(ok.error()));
        if (cfg.check) return unexpected(what);
        log::warn("{}; routing without client locations until it loads", what);
    } else {
        log::info("GeoIP database {} ({})", cfg.geoip_path, w->current()->database_type());
    }
    return w;
}

std::vector<listen_spec> listen_specs(const config& cfg) {
    std::vector<listen_spec> specs;
    for (const socket_address& a : cfg.listen)
        specs.push_back({a, cfg.proxy_protocol});
    for (const socket_address& a : cfg.listen_proxy)
        specs.push_back({a, true});
    return specs;
}

result<std::uint32_t, std::string> connection_limit(const config& cfg) {
    // Each proxied connection holds two descriptors. Take the hard limit, as nginx and HAProxy
    // do, and size the workers' connection limits from it, so that a burst never leaves a client
    // accepted without a descriptor for its backend.
    rlimit nofile{};
    getrlimit(RLIMIT_NOFILE, &nofile);
    if (nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
        getrlimit(RLIMIT_NOFILE, &nofile);
    }
    // Descriptors open now (inherited ones included) plus what the workers and the control
    // thread open later (ring, eventfd, listeners, signalfd, admin clients, routing.db reads).
    std::uint64_t open_now = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++open_now;
    const std::uint64_t workers = cfg.cpus.size();
    // (Admin clients beyond the few reserved here meet EMFILE on accept and are dropped.)
    std::uint64_t reserve = open_now + 24 + 4 + workers * 4;
    std::uint64_t budget = nofile.rlim_cur > reserve ? nofile.rlim_cur - reserve : 0;
    std::uint64_t per_worker = budget / 2 / workers;
    if (per_worker == 0)
        return unexpected(
            fmt::format("RLIMIT_NOFILE is {}: too low for {} workers (each connection needs "
                        "two descriptors; raise it with ulimit -n)",
                        nofile.rlim_cur, workers));
    auto limit = static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg.max_conns, per_worker));
    if (limit < cfg.max_conns)
        log::info(
            "RLIMIT_NOFILE {} ({} open at start) allows {} connections per worker ({} in all); "
            "--max-conns {} is capped to that",
            nofile.rlim_cur, open_now, limit, std::uint64_t(limit) * workers, cfg.max_conns);
    return limit;
}

}  // namespace edge::engine
