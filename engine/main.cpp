// edgeproxy: parse the configuration, probe io_uring, load routing.db, open the listeners, start
// one worker per CPU and the control thread, then wait for the workers to drain.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "engine/admin_server.hpp"
#include "engine/build_info.hpp"
#include "engine/config.hpp"
#include "engine/control.hpp"
#include "engine/listener.hpp"
#include "engine/ring.hpp"
#include "engine/worker.hpp"
#include "geo/database.hpp"
#include "geo/database_watcher.hpp"
#include "routing/bindings.hpp"
#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/watcher.hpp"

using namespace edge;
using namespace edge::engine;

namespace {

std::string join_cpus(const std::vector<int>& cpus) {
    return fmt::format("{}", fmt::join(cpus, ","));
}

// Start-up errors (tier 2): a clear message and a non-zero exit.
int fail(const std::string& what) {
    log::error("{}", what);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    auto started = std::chrono::steady_clock::now();
    config cfg;
    try {
        switch (parse_config(argc, argv, process_env, cfg)) {
            case parse_outcome::help:
                std::fputs(usage_text().c_str(), stdout);
                return 0;
            case parse_outcome::version:
                std::fputs(build_info_text().c_str(), stdout);
                return 0;
            case parse_outcome::run:
                break;
        }
    } catch (const config_error& e) {
        fmt::print(stderr, "edgeproxy: {}\n", e.what());
        return 2;
    }
    log::set_level(cfg.log_level);

    auto features = probe_ring_features();
    if (!features) {
        const probe_error& e = features.error();
        return fail(fmt::format("io_uring unavailable ({}{}{}): {}", e.what, e.err ? ": " : "",
                                e.err ? std::strerror(e.err) : "", probe_message(e)));
    }

    routing::backend_registry registry(cfg.max_backends);
    routing::load_options lo;
    lo.db_path = cfg.db_path;
    if (!cfg.region.empty()) lo.pop_region = *geo::region_code::parse(cfg.region);
    routing::snapshot_ptr snap;
    std::vector<routing::rejected_row> rejected;
    // The watcher samples the file before the first load, so that a change made during the load
    // is picked up by the first reload check.
    auto watcher = std::make_unique<routing::db_watcher>(cfg.db_path);
    watcher->poll();
    if (auto r = routing::load_snapshot(lo, registry); r) {
        watcher->on_load_succeeded();
        snap = r->snap;
        rejected = std::move(r->rejected);
        for (const routing::rejected_row& row : rejected)
            log::warn("routing.db: row {} rejected: {}", row.id, row.reason);
        for (const std::string& w : r->warnings)
            log::warn("routing.db: {}", w);
    } else {
        std::string what = fmt::format("{}: {} ({})", cfg.db_path,
                                       routing::failure_name(r.error().kind), r.error().detail);
        if (cfg.check) return fail(what);
        (void)watcher->on_load_failed(r.error());
        log::error("{}; serving with no backends until it can be read", what);
        auto empty = std::make_shared<routing::snapshot>();
        empty->pop_region = lo.pop_region;
        empty->slot_capacity = registry.slot_high_water();
        snap = std::move(empty);
    }

    // Every worker has its own SO_REUSEPORT socket per address. The first bind of an address
    // with port 0 picks the port; the other workers bind that same port.
    std::vector<std::vector<std::pair<unique_fd, bool>>> listeners(cfg.cpus.size());
    struct listen_spec {
        socket_address* addr;
        bool proxy_protocol;
    };
    std::vector<listen_spec> specs;
    for (socket_address& a : cfg.listen)
        specs.push_back({&a, cfg.proxy_protocol});
    for (socket_address& a : cfg.listen_proxy)
        specs.push_back({&a, true});
    for (const listen_spec& spec : specs) {
        socket_address& addr = *spec.addr;
        for (std::size_t w = 0; w < cfg.cpus.size(); ++w) {
            auto fd = open_listener(addr, cfg.backlog);
            if (!fd)
                return fail(fmt::format("cannot listen on {}: {}", to_string(addr),
                                        error_text(fd.error())));
            if (w == 0 && addr.port() == 0) {
                auto bound = bound_address(fd->get());
                if (bound) addr.set_port(bound->port());
            }
            listeners[w].emplace_back(std::move(*fd), spec.proxy_protocol);
        }
    }

    // GeoIP: the client's country and region for tiers 0 and 1. Without a database (or with a
    // broken one at start) routing still works, on the POP's region only.
    std::unique_ptr<geo::database_watcher> geo_watcher;
    if (!cfg.geoip_path.empty()) {
        geo_watcher = std::make_unique<geo::database_watcher>(cfg.geoip_path);
        if (auto ok = geo_watcher->load(); !ok) {
            std::string what =
                fmt::format("GeoIP database {}: {}", cfg.geoip_path, geo::describe(ok.error()));
            if (cfg.check) return fail(what);
            log::warn("{}; routing without client locations until it loads", what);
        } else {
            log::info("GeoIP database {} ({})", cfg.geoip_path,
                      geo_watcher->current()->database_type());
        }
    }
    std::vector<std::string> map_warnings;
    auto region_map = control::build_region_map(*snap, cfg.region_by_continent, map_warnings);
    for (const std::string& w : map_warnings) {
        if (cfg.check || w.starts_with("--region-by-continent")) return fail(w);
        log::warn("routing.db: country_regions: {}", w);
    }

    std::optional<admin_server> admin;
    if (cfg.metrics) {
        auto a = admin_server::open(*cfg.metrics);
        if (!a)
            return fail(fmt::format(
                "cannot serve metrics on {}: {} (use --metrics ADDR:PORT or --metrics off)",
                to_string(*cfg.metrics), error_text(a.error())));
        admin.emplace(std::move(*a));
    }

    if (cfg.check) {
        if (!rejected.empty())
            return fail(
                fmt::format("{}: {} rows rejected (listed above)", cfg.db_path, rejected.size()));
        fmt::print(
            "edgeproxy: configuration ok: {} backends, {} workers on CPUs {}, io_uring {}.{} "
            "(defer_taskrun={}, recv_bundle={})\n",
            snap->backends.size(), cfg.cpus.size(), join_cpus(cfg.cpus), features->kernel_major,
            features->kernel_minor, features->defer_taskrun, features->recv_bundle);
        return 0;
    }

    // Each proxied connection holds two descriptors. Take the hard limit, as nginx and HAProxy do,
    // and size the workers' connection limits from it, so that a burst never leaves a client
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
    std::uint64_t reserve = open_now + 24 + cfg.cpus.size() * 4;
    std::uint64_t budget = nofile.rlim_cur > reserve ? nofile.rlim_cur - reserve : 0;
    std::uint64_t per_worker = budget / 2 / cfg.cpus.size();
    if (per_worker == 0)
        return fail(
            fmt::format("RLIMIT_NOFILE is {}: too low for {} workers (each connection needs "
                        "two descriptors; raise it with ulimit -n)",
                        nofile.rlim_cur, cfg.cpus.size()));
    auto conn_limit =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg.max_conns, per_worker));
    if (conn_limit < cfg.max_conns)
        log::info(
            "RLIMIT_NOFILE {} ({} open at start) allows {} connections per worker ({} in all); "
            "--max-conns {} is capped to that",
            nofile.rlim_cur, open_now, conn_limit, std::uint64_t(conn_limit) * cfg.cpus.size(),
            cfg.max_conns);

    std::unique_ptr<routing::binding_table> bindings;
    if (cfg.binding_ttl.count() > 0) {
        routing::binding_options bo;
        bo.max_entries = cfg.max_bindings;
        bo.ttl_ms = static_cast<std::uint64_t>(cfg.binding_ttl.count());
        bindings = std::make_unique<routing::binding_table>(bo);
    }

    control::block_signals();
    std::vector<std::unique_ptr<worker>> workers;
    for (std::size_t w = 0; w < cfg.cpus.size(); ++w) {
        worker_setup s;
        s.index = static_cast<unsigned>(w);
        s.cpu = cfg.cpus[w];
        s.cfg = &cfg;
        s.conn_limit = conn_limit;
        s.features = *features;
        s.listeners = std::move(listeners[w]);
        s.snapshot = snap;
        s.bindings = bindings.get();
        s.geo_db = geo_watcher ? geo_watcher->current() : nullptr;
        s.region_map = region_map;
        workers.push_back(std::make_unique<worker>(std::move(s)));
    }
    std::vector<std::thread> threads;
    for (auto& w : workers)
        threads.emplace_back([p = w.get()] { p->run(); });
    std::string error;
    bool ok = true;
    for (auto& w : workers)
        if (!w->wait_ready(error)) ok = false;

    control::setup cs;
    cs.cfg = &cfg;
    for (auto& w : workers)
        cs.workers.push_back(w.get());
    cs.admin = std::move(admin);
    cs.snapshot = snap;
    cs.registry = &registry;
    cs.load = lo;
    cs.watcher = std::move(watcher);
    cs.bindings = bindings.get();
    cs.rejected = std::move(rejected);
    cs.geo = std::move(geo_watcher);
    cs.region_map = region_map;
    std::optional<socket_address> metrics_at;
    if (cs.admin) metrics_at = cs.admin->address();
    control ctl(std::move(cs));
    if (!ok) {
        for (auto& w : workers) {
            worker_message m;
            m.what = worker_message::kind::stop;
            w->post(m);
        }
        for (auto& t : threads)
            t.join();
        return fail(error);
    }
    std::thread control_thread([&ctl] { ctl.run(); });

    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    for (const socket_address& addr : cfg.listen)
        log::info("listening on {}{}", to_string(addr),
                  cfg.proxy_protocol ? " (PROXY protocol)" : "");
    for (const socket_address& addr : cfg.listen_proxy)
        log::info("listening on {} (PROXY protocol)", to_string(addr));
    if (metrics_at) log::info("metrics on http://{}/metrics", to_string(*metrics_at));
    log::info(
        "edgeproxy {} serving: {} workers on CPUs {}, {} backends (snapshot v{}), region '{}', "
        "io_uring on Linux {}.{} (defer_taskrun={}, recv_bundle={}), ready in {} us",
        EDGE_VERSION, workers.size(), join_cpus(cfg.cpus), snap->backends.size(), snap->version,
        cfg.region, features->kernel_major, features->kernel_minor, features->defer_taskrun,
        features->recv_bundle, us.count());

    for (auto& t : threads)
        t.join();
    ctl.stop();
    control_thread.join();
    log::info("exit");
    return 0;
}
