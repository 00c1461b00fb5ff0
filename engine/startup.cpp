#include "engine/startup.hpp"

#include <sys/resource.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "base/log.hpp"
#include "engine/control/admin_auth.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine {

namespace {

std::string describe_failure(const config& cfg, const routing::reload_report& r) {
    return fmt::format("routing database {}: {} ({})", cfg.db_path,
                       routing::failure_name(r.error->kind), r.error->detail);
}

/// --wait-for-db: loads again every --reload-interval until the file can be read or the wait
/// runs out. Logs the reason once per change. Start-up (main thread, before any listener).
routing::reload_report wait_for_db(const config& cfg, routing::table_source& source,
                                   routing::reload_report r) {
    const std::uint64_t start = monotonic_coarse_ms();
    const std::uint64_t limit =
        cfg.wait_for_db ? static_cast<std::uint64_t>(cfg.wait_for_db->count()) : UINT64_MAX;
    std::string said = describe_failure(cfg, r);
    log::warn("{}; waiting {} for it to become readable before listening (--wait-for-db)", said,
              cfg.wait_for_db ? fmt::format("up to {} ms", limit) : std::string("for it"));
    while (r.status == routing::reload_report::outcome::failed &&
           monotonic_coarse_ms() - start < limit) {
        std::uint64_t left = limit - (monotonic_coarse_ms() - start);
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::uint64_t>(
            static_cast<std::uint64_t>(cfg.reload_interval.count()), left)));
        r = source.load_now();
        if (r.status == routing::reload_report::outcome::failed) {
            std::string now = describe_failure(cfg, r);
            if (now != said) log::warn("{}; still waiting", now);
            said = std::move(now);
        }
    }
    if (r.status != routing::reload_report::outcome::failed)
        log::info("routing database {} readable after {} ms", cfg.db_path,
                  monotonic_coarse_ms() - start);
    return r;
}

}  // namespace

result<start_tables, std::string> load_start_tables(const config& cfg,
                                                    routing::backend_registry& registry) {
    routing::load_options lo;
    lo.db_path = cfg.db_path;
    if (!cfg.region.empty()) lo.pop_region = *geo::region_code::parse(cfg.region);
    start_tables t;
    t.source = std::make_unique<routing::table_source>(lo, cfg.region_by_continent, registry);
    routing::reload_report r = t.source->load_now();
    // A proxy without its table would accept clients only to refuse them: like nginx with a
    // broken configuration, it does not start (systemd's Restart= retries), unless told to
    // wait for a file that a sync process is about to write.
    if (r.status == routing::reload_report::outcome::failed && !cfg.check &&
        cfg.wait_for_db != std::chrono::milliseconds(0))
        r = wait_for_db(cfg, *t.source, std::move(r));
    if (r.status == routing::reload_report::outcome::failed && cfg.tunnel_only() &&
        r.error->kind == routing::load_failure::missing) {
        // A plain WireGuard device needs no backends: routing.db, when it appears, only adds
        // wg_peers rows (picked up by the reload watcher).
        log::info("{}: not there; the tunnel runs on its config file's peers", cfg.db_path);
        auto empty = std::make_shared<routing::snapshot>();
        t.snap = std::move(empty);
        std::vector<std::string> ignored;
        t.region_map = routing::build_region_map(*t.snap, cfg.region_by_continent, ignored);
        return t;
    }
    if (r.status == routing::reload_report::outcome::failed) {
        std::string what = describe_failure(cfg, r);
        if (cfg.check || cfg.wait_for_db == std::chrono::milliseconds(0))
            return unexpected(fmt::format(
                "{}{}", what,
                cfg.check ? ""
                          : "; not starting without it (--wait-for-db DURATION|forever waits "
                            "for a file that a sync process writes)"));
        return unexpected(
            fmt::format("{}; still unreadable after --wait-for-db {} ms, not starting", what,
                        cfg.wait_for_db->count()));
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

result<std::unique_ptr<access_log>, std::string> open_access_log(
    const config& cfg, const std::vector<listen_spec>& listeners) {
    if (cfg.access_log.empty()) return std::unique_ptr<access_log>();
    access_log::options o;
    o.destination = cfg.access_log;
    o.format = cfg.access_log_json ? access_log_format::json : access_log_format::text;
    o.records_per_worker = cfg.access_log_buffer;
    o.workers = static_cast<unsigned>(cfg.cpus.size());
    for (const listen_spec& l : listeners)
        o.listeners.push_back(to_string(l.address));
    return access_log::open(std::move(o));
}

result<std::string, std::string> admin_token(const config& cfg) {
    if (cfg.admin_token_file.empty()) return std::string();
    return read_token_file(cfg.admin_token_file);
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
