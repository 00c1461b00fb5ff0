// edgeproxy: configuration → io_uring probe → routing tables → GeoIP → [takeover: receive the
// running instance's sockets] → listeners → admin endpoint → control socket → access log →
// workers → control thread → accept → [takeover: "ready"] → systemd READY=1, then wait for the
// workers to drain. Each step is a function of engine/startup.hpp (or of the part it starts)
// that returns a result; a failure is a clear message and exit 1 — in a takeover, before
// anything was taken from the running instance, which keeps serving.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "engine/build_info.hpp"
#include "engine/codec/utc_time.hpp"
#include "engine/control/admin_server.hpp"
#include "engine/control/binding_transfer.hpp"
#include "engine/control/control.hpp"
#include "engine/control/spawn.hpp"
#include "engine/control/systemd_notify.hpp"
#include "engine/control/table_loader.hpp"
#include "engine/control/takeover.hpp"
#include "engine/host/config.hpp"
#include "engine/host/listener_set.hpp"
#include "engine/proxy_worker.hpp"
#include "engine/startup.hpp"
#include "engine/tunnel_start.hpp"
#include "engine/uring/ring.hpp"
#include "routing/bindings.hpp"
#include "routing/registry.hpp"

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

std::unique_ptr<routing::binding_table> make_bindings(const config& cfg) {
    if (cfg.binding_ttl.count() <= 0) return nullptr;
    routing::binding_options bo;
    bo.max_entries = cfg.max_bindings;
    bo.ttl_ms = static_cast<std::uint64_t>(cfg.binding_ttl.count());
    return std::make_unique<routing::binding_table>(bo);
}

}  // namespace

int main(int argc, char** argv) {
    auto started = std::chrono::steady_clock::now();
    const std::int64_t started_ms = realtime_ms();
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
    auto tables = load_start_tables(cfg, registry);
    if (!tables) return fail(tables.error());
    auto geo = open_geoip(cfg);
    if (!geo) return fail(geo.error());
    const unsigned nworkers = static_cast<unsigned>(cfg.cpus.size());
    // Everything that could make this process refuse to start has been checked: only now ask a
    // running instance for its sockets.
    std::optional<takeover_client> takeover;
    if (!cfg.takeover_path.empty() && !cfg.check) {
        auto t = takeover_client::start(cfg.takeover_path, 10000);
        if (!t) return fail(t.error());
        takeover.emplace(std::move(*t));
    }
    inheritance* inherited = takeover ? &takeover->received() : nullptr;
    listener_set::open_options lo;
    lo.workers = nworkers;
    lo.backlog = cfg.backlog;
    lo.share = cfg.share_listeners;
    if (inherited) lo.inherited = std::move(inherited->listeners);
    auto listeners = listener_set::open(listen_specs(cfg), std::move(lo));
    if (!listeners) return fail(listeners.error());
    auto token = admin_token(cfg);
    if (!token) return fail(token.error());
    auto admin = open_admin(cfg, inherited);
    if (!admin) return fail(admin.error());
    if (*admin && !token->empty()) (*admin)->require(admin_auth(*token));
    auto control_sock = open_control(cfg, inherited);
    if (!control_sock) return fail(control_sock.error());
    auto alog = open_access_log(cfg, listeners->specs());
    if (!alog) return fail(alog.error());
    if (cfg.check && !cfg.wg_config.empty())
        if (auto ok = check_tunnel_config(cfg); !ok) return fail(ok.error());
    if (cfg.check) {
        fmt::print(
            "edgeproxy: configuration ok: {} backends, {} workers on CPUs {}, io_uring {}.{} "
            "(defer_taskrun={}, recv_bundle={})\n",
            tables->snap->backends.size(), nworkers, join_cpus(cfg.cpus), features->kernel_major,
            features->kernel_minor, features->defer_taskrun, features->recv_bundle);
        return 0;
    }
    auto conn_limit = connection_limit(cfg);
    if (!conn_limit) return fail(conn_limit.error());
    auto health_shared = make_health_parts(cfg);
    if (!health_shared) return fail(health_shared.error());
    auto bindings = make_bindings(cfg);
    if (inherited && inherited->bindings && bindings)
        log::info("client bindings: {} of {} taken over",
                  import_bindings(inherited->bindings.get(), *bindings, *tables->snap),
                  inherited->binding_count);
    if (inherited) inherited->bindings.reset();  // its memory goes with the descriptor
    std::shared_ptr<const geo::database> geo_db = *geo ? (*geo)->current() : nullptr;
    std::optional<tunnel_start> tunnel;
    if (!cfg.wg_config.empty()) {
        auto t = open_tunnel(cfg, nworkers);
        if (!t) return fail(t.error());
        tunnel.emplace(std::move(*t));
    }

    control::block_signals();
    // The health checker starts first, so that workers' failure reports find its ring.
    std::unique_ptr<health_worker> checker;
    std::thread checker_thread;
    if (health_shared->board) {
        health::checker::setup hs{&cfg.health,
                                  tables->snap,
                                  health_shared->view.get(),
                                  health_shared->passive.get(),
                                  health_shared->board.get(),
                                  health_check_sockets(cfg)};
        checker = std::make_unique<health_worker>(nworkers, -1, cfg, *features, std::move(hs));
        checker_thread = std::thread([p = checker.get()] { p->run(); });
        std::string error;
        if (!checker->wait_ready(error)) {
            checker_thread.join();
            return fail(error);
        }
    }
    auto stop_checker = [&] {
        if (!checker) return;
        (void)checker->post(stop_message{});
        checker_thread.join();
    };
    std::vector<std::unique_ptr<proxy_worker>> workers;
    for (unsigned w = 0; w < nworkers; ++w) {
        tcp_proxy::setup tcp;
        tcp.listeners = listeners->for_worker(w);
        tcp.listener_owner = &*listeners;
        tcp.conn_limit = *conn_limit;
        tcp.snapshot = tables->snap;
        tcp.bindings = bindings.get();
        tcp.geo_db = geo_db;
        tcp.region_map = tables->region_map;
        tcp.health = health_shared->view.get();
        tcp.passive = health_shared->passive.get();
        tcp.access_log = *alog ? (*alog)->ring(w) : nullptr;
        tunnel_data_path::setup tun;
        if (tunnel) {
            tun.tun_fd = tunnel->tun->queue(w);
            tun.vnet_header = tunnel->tun->vnet_header();
            tun.udp_fd = tunnel->udp[w].get();
            tun.mtu = tunnel->mtu;
            tun.events = tunnel->channels[w].get();
            tun.metrics = tunnel->metrics[w].get();
        }
        workers.push_back(std::make_unique<proxy_worker>(w, cfg.cpus[w], cfg, *features,
                                                         std::move(tcp), std::move(tun)));
    }
    if (*alog) (*alog)->start();
    std::vector<std::thread> threads;
    for (auto& w : workers)
        threads.emplace_back([p = w.get()] { p->run(); });
    std::string error;
    bool ok = true;
    for (auto& w : workers)
        if (!w->wait_ready(error)) ok = false;
    if (!ok) {
        for (auto& w : workers)
            (void)w->post(stop_message{});
        for (auto& t : threads)
            t.join();
        stop_checker();
        return fail(error);
    }

    // Every worker runs: accept. (Before the control thread starts, which is from then on the
    // only producer of the workers' inboxes.)
    for (auto& w : workers)
        (void)w->post(accept_message{});

    control::setup cs;
    cs.cfg = &cfg;
    for (auto& w : workers)
        cs.workers.push_back(w.get());
    if (checker) cs.helpers.push_back(checker.get());
    cs.health = health_shared->board.get();
    std::optional<socket_address> metrics_at;
    if (*admin) metrics_at = (*admin)->address();
    cs.admin = std::move(*admin);
    cs.listener_owner = &*listeners;
    cs.control_sock = std::move(*control_sock);
    cs.argv.assign(argv, argv + argc);
    cs.exe = own_executable();
    const std::string control_path = cs.control_sock ? cs.control_sock->path() : "";
    cs.loader =
        std::make_unique<table_loader>(std::move(tables->source), std::move(*geo), registry);
    cs.snapshot = tables->snap;
    cs.geo_db = geo_db;
    cs.region_map = tables->region_map;
    cs.bindings = bindings.get();
    cs.rows_rejected = tables->rows_rejected;
    cs.listeners = listeners->specs();
    cs.access = alog->get();
    cs.admin_token = !token->empty();
    cs.started_ms = started_ms;
    if (tunnel) {
        tunnel_control::setup ts;
        ts.tunnel = std::move(tunnel->tunnel);
        ts.file_peers = tunnel->peers;
        for (unsigned w = 0; w < nworkers; ++w) {
            ts.channels.push_back(tunnel->channels[w].get());
            ts.metrics.push_back(tunnel->metrics[w].get());
        }
        ts.interface = cfg.wg_interface;
        ts.ifindex = tunnel->ifindex;
        ts.listen_port = tunnel->port;
        ts.tun = std::move(tunnel->tun);
        ts.addresses = tunnel->addresses;
        ts.mtu = tunnel->mtu;
        cs.tunnel = std::move(ts);
    }
    control ctl(std::move(cs));
    std::thread control_thread([&ctl] { ctl.run(); });

    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    for (const listen_spec& l : listeners->specs())
        log::info("listening on {}{}", to_string(l.address),
                  l.proxy_protocol ? " (PROXY protocol)" : "");
    if (metrics_at)
        log::info("metrics on http://{}/metrics, status page on http://{}/", to_string(*metrics_at),
                  to_string(*metrics_at));
    if (*alog)
        log::info("access log to {} ({})", (*alog)->destination(),
                  cfg.access_log_json ? "json" : "text");
    log::info(
        "edgeproxy {} serving: {} workers on CPUs {}, {} backends (snapshot v{}), region '{}', "
        "io_uring on Linux {}.{} (defer_taskrun={}, recv_bundle={}), ready in {} us",
        EDGE_VERSION, nworkers, join_cpus(cfg.cpus), tables->snap->backends.size(),
        tables->snap->version, cfg.region, features->kernel_major, features->kernel_minor,
        features->defer_taskrun, features->recv_bundle, us.count());
    if (!control_path.empty()) log::info("control socket {}", control_path);
    if (cfg.busy_poll.window.count() != 0)
        log::info("workers poll after work before sleeping: {}{}",
                  cfg.busy_poll.adaptive
                      ? fmt::format("a window adapted up to {} us", cfg.busy_poll.window.count())
                      : fmt::format("{} us", cfg.busy_poll.window.count()),
                  cfg.busy_poll_given
                      ? ""
                      : " (every worker's CPU is isolated; --busy-poll 0 turns this off)");
    if (takeover) {
        // We accept already, on the same sockets: the old instance may stop now.
        if (auto ok = takeover->ready(10000); !ok) {
            log::error("takeover: {}; draining this instance", ok.error());
            ::kill(::getpid(), SIGTERM);
        } else {
            log::info("took over from pid {}: it drains and exits", takeover->received().old_pid);
        }
        systemd_notify(fmt::format("MAINPID={}\nREADY=1", ::getpid()));
        // Done with the old instance: the session, and anything received that is not in use
        // (a control listener for another path), close now rather than at exit.
        takeover.reset();
    } else {
        systemd_notify("READY=1");
    }

    for (auto& t : threads)
        t.join();
    ctl.stop();
    control_thread.join();
    if (*alog) (*alog)->stop();
    // The control thread no longer posts: main may be the checker's inbox's one producer now.
    stop_checker();
    log::info("exit");
    return 0;
}
