// GET /status as JSON (see status.hpp for what it holds).

#include "engine/control/status.hpp"

#include <unistd.h>

#include <map>

#include "base/key_base64.hpp"
#include "engine/access_log/access_log.hpp"
#include "engine/codec/json_text.hpp"
#include "engine/codec/utc_time.hpp"
#include "engine/control/tunnel_control.hpp"
#include "engine/host/health_status.hpp"
#include "engine/uring/clock.hpp"
#include "routing/wg_peer_validation.hpp"

namespace edge::engine {

namespace {

/// A backend's state as the operator set it in routing.db (the health checker's view of it is
/// beside it, in "check").
const char* backend_state(const routing::backend& b) noexcept {
    if (!b.healthy) return "down";
    return b.draining ? "drain" : "up";
}

const char* check_kind(routing::health_check_kind k) noexcept {
    switch (k) {
        case routing::health_check_kind::tcp:
            return "tcp";
        case routing::health_check_kind::send_expect:
            return "send_expect";
        case routing::health_check_kind::http:
            return "http";
    }
    return "tcp";
}

template <class T>
void value_or_null(json_writer& j, const std::optional<T>& v) {
    if (v)
        j.value(static_cast<std::uint64_t>(*v));
    else
        j.null();
}

/// A backend's health check: what routing.db configures for it (null: the proxy's defaults)
/// and its effective health on this POP and why (null when no checker runs).
void write_check(json_writer& j, const routing::snapshot& s, const routing::backend& b,
                 const backend_health_status* health) {
    j.key("check").begin_object();
    j.key("configured");
    if (b.health_check < 0 || static_cast<std::size_t>(b.health_check) >= s.health_checks.size()) {
        j.null();
    } else {
        const routing::health_check& hc = s.health_checks[static_cast<std::size_t>(b.health_check)];
        j.begin_object();
        j.key("kind").value(check_kind(hc.kind));
        if (hc.kind == routing::health_check_kind::http) {
            j.key("http_path").value(hc.http_path);
            j.key("http_status_min").value(static_cast<std::uint32_t>(hc.http_status_min));
            j.key("http_status_max").value(static_cast<std::uint32_t>(hc.http_status_max));
        }
        j.key("interval_ms");
        value_or_null(j, hc.interval_ms);
        j.key("timeout_ms");
        value_or_null(j, hc.timeout_ms);
        j.key("rise");
        value_or_null(j, hc.rise);
        j.key("fall");
        value_or_null(j, hc.fall);
        j.end_object();
    }
    j.key("state");
    if (health == nullptr) {
        j.null();
    } else {
        j.begin_object();
        j.key("state").value(health->state);
        j.key("in_service").value(health->in_service);
        j.key("why").value(health->why);
        j.key("weight_percent").value(static_cast<std::uint64_t>(health->weight_percent));
        j.key("for_ms").value(health->for_ms);
        j.key("last_check_us").value(health->last_check_us);
        j.key("checks_passed").value(health->checks_passed);
        j.key("checks_failed").value(health->checks_failed);
        j.key("ejections").value(health->ejections);
        j.end_object();
    }
    j.end_object();
}

struct backend_totals {
    std::uint64_t connections = 0;
    std::uint64_t failures[std::size_t(connect_failure::count_)] = {};
    std::uint64_t failures_total = 0;
    std::uint64_t bytes_up = 0;
    std::uint64_t bytes_down = 0;
};

backend_totals totals(std::span<const worker_metrics* const> ws, std::uint32_t slot) noexcept {
    backend_totals t;
    for (const worker_metrics* w : ws) {
        if (slot >= w->backend_capacity) continue;
        const backend_counters& c = w->backends[slot];
        t.connections += c.connections.get();
        for (std::size_t r = 0; r < std::size_t(connect_failure::count_); ++r) {
            t.failures[r] += c.connect_failures[r].get();
            t.failures_total += c.connect_failures[r].get();
        }
        t.bytes_up += c.bytes_up.get();
        t.bytes_down += c.bytes_down.get();
    }
    return t;
}

template <class F>
std::uint64_t sum(std::span<const worker_metrics* const> ws, F&& get) {
    std::uint64_t s = 0;
    for (const worker_metrics* w : ws)
        s += static_cast<std::uint64_t>(get(*w));
    return s;
}

void write_process(json_writer& j, const status_inputs& in) {
    j.key("version").value(EDGE_VERSION);
    j.key("pid").value(static_cast<std::int64_t>(::getpid()));
    j.key("started").value(utc_time_ms(in.started_ms));
    j.key("now").value(utc_time_ms(in.now_ms));
    j.key("uptime_s").value(static_cast<double>(in.now_ms - in.started_ms) / 1000.0);
    j.key("draining").value(in.draining);
    j.key("region").string_or_null(in.pop_region);
    j.key("admin").begin_object();
    j.key("address").value(in.admin ? to_string(*in.admin) : std::string());
    j.key("token_required").value(in.admin_token);
    j.end_object();
    j.key("workers").begin_array();
    for (std::size_t i = 0; i < in.workers.size(); ++i) {
        const worker_metrics& w = *in.workers[i];
        j.begin_object();
        j.key("index").value(static_cast<std::uint64_t>(i));
        j.key("connections_current").value(w.connections_current.get());
        j.key("connections_total").value(w.connections_total.get());
        j.end_object();
    }
    j.end_array();
    j.key("listeners").begin_array();
    for (const listen_spec& l : in.listeners) {
        j.begin_object();
        j.key("address").value(to_string(l.address));
        j.key("proxy_protocol").value(l.proxy_protocol);
        j.end_object();
    }
    j.end_array();
}

void write_traffic(json_writer& j, const status_inputs& in) {
    auto ws = in.workers;
    j.key("connections").begin_object();
    j.key("current").value(static_cast<std::int64_t>(
        sum(ws, [](const worker_metrics& w) { return w.connections_current.get(); })));
    j.key("total").value(
        sum(ws, [](const worker_metrics& w) { return w.connections_total.get(); }));
    j.key("rejected").begin_object();
    for (std::size_t i = 0; i < reject_reason_names.size(); ++i)
        j.key(reject_reason_names[i]).value(sum(ws, [i](const worker_metrics& w) {
            return w.rejected[i].get();
        }));
    j.end_object();
    j.key("closed").begin_object();
    for (std::size_t i = 0; i < close_reason_names.size(); ++i)
        j.key(close_reason_names[i]).value(sum(ws, [i](const worker_metrics& w) {
            return w.closed[i].get();
        }));
    j.end_object();
    j.end_object();
    j.key("bytes").begin_object();
    j.key("client_to_backend").value(sum(ws, [](const worker_metrics& w) {
        return w.bytes_client_to_backend.get();
    }));
    j.key("backend_to_client").value(sum(ws, [](const worker_metrics& w) {
        return w.bytes_backend_to_client.get();
    }));
    j.end_object();
}

void write_snapshot(json_writer& j, const status_inputs& in) {
    j.key("routing").begin_object();
    j.key("db").value(in.db_path);
    if (in.snap != nullptr) {
        j.key("generation").value(in.snap->version);
        j.key("loaded").value(utc_time_ms(in.snapshot_loaded_ms));
        j.key("backends").value(static_cast<std::uint64_t>(in.snap->backends.size()));
    } else {
        j.key("generation").null().key("loaded").null().key("backends").value(0);
    }
    if (in.routing != nullptr) {
        j.key("rows_rejected").value(in.routing->rows_rejected);
        j.key("reloads").begin_object();
        for (std::size_t i = 0; i < in.routing->reloads.size(); ++i)
            j.key(reload_result_names[i]).value(in.routing->reloads[i]);
        j.end_object();
        j.key("bindings").value(in.routing->bindings);
    }
    j.end_object();
    j.key("geoip");
    if (in.geo_path.empty()) {
        j.null();
    } else {
        j.begin_object();
        j.key("path").value(in.geo_path);
        if (in.geo != nullptr) {
            j.key("type").value(in.geo->database_type());
            j.key("built").value(
                utc_time_ms(static_cast<std::int64_t>(in.geo->build_epoch()) * 1000));
            j.key("loaded").value(utc_time_ms(in.geo_loaded_ms));
        } else {
            j.key("type").null().key("built").null().key("loaded").null();
        }
        j.end_object();
    }
}

void write_backends(json_writer& j, const status_inputs& in) {
    struct region_count {
        std::uint64_t backends = 0, up = 0, live = 0, connections = 0;
    };
    std::map<std::string, region_count> regions;
    j.key("backends").begin_array();
    if (in.snap != nullptr) {
        std::vector<backend_health_status> health;
        if (in.health != nullptr)
            health = describe_health(in.health, in.snap->backends, monotonic_coarse_ms());
        for (const routing::backend& b : in.snap->backends) {
            backend_totals t = totals(in.workers, b.slot);
            std::uint32_t live = b.shared ? b.shared->live.load(std::memory_order_relaxed) : 0;
            std::string region = b.region.str();
            j.begin_object();
            j.key("id").value(b.id);
            j.key("app").value(b.app);
            j.key("address").value(to_string(b.address));
            j.key("region").string_or_null(region);
            j.key("country").string_or_null(b.country.str());
            j.key("weight").value(b.weight);
            j.key("soft_limit").value(b.soft_limit);
            j.key("hard_limit").value(b.hard_limit);
            j.key("healthy").value(b.healthy);
            j.key("draining").value(b.draining);
            j.key("state").value(backend_state(b));
            j.key("send_proxy").value(static_cast<std::uint32_t>(b.send_proxy));
            j.key("live").value(live);
            j.key("connections_total").value(t.connections);
            j.key("connect_failures").value(t.failures_total);
            j.key("connect_failures_by_reason").begin_object();
            for (std::size_t r = 0; r < connect_failure_names.size(); ++r)
                j.key(connect_failure_names[r]).value(t.failures[r]);
            j.end_object();
            j.key("bytes_up").value(t.bytes_up);
            j.key("bytes_down").value(t.bytes_down);
            write_check(j, *in.snap, b,
                        health.empty()
                            ? nullptr
                            : &health[static_cast<std::size_t>(&b - in.snap->backends.data())]);
            j.end_object();
            region_count& rc = regions[region];
            ++rc.backends;
            rc.up += b.healthy && !b.draining;
            rc.live += live;
            rc.connections += t.connections;
        }
    }
    j.end_array();
    j.key("regions").begin_array();
    for (const auto& [name, rc] : regions) {
        j.begin_object();
        j.key("region").string_or_null(name);
        j.key("backends").value(rc.backends);
        j.key("up").value(rc.up);
        j.key("live").value(rc.live);
        j.key("connections_total").value(rc.connections);
        j.end_object();
    }
    j.end_array();
}

void write_extras(json_writer& j, const status_inputs& in) {
    j.key("access_log");
    if (in.access == nullptr) {
        j.null();
    } else {
        j.begin_object();
        j.key("destination").value(in.access->destination());
        j.key("format").value(in.access->format() == access_log_format::json ? "json" : "text");
        j.key("lines").value(in.access->lines_written());
        j.key("dropped_buffer_full").value(in.access->dropped_full());
        j.key("dropped_write_error").value(in.access->dropped_write());
        j.end_object();
    }
    // Health checks (each backend's own state is in its "check"). The WireGuard tunnel: when it
    // runs, the document /wg serves (peers with their handshakes and transfer); when it does
    // not, the peers routing.db lists, with nothing to say of their runtime state.
    j.key("health_checks").begin_object();
    j.key("enabled").value(in.health != nullptr);
    j.key("active").value(in.health != nullptr && in.health->active());
    j.key("passive").value(in.health != nullptr && in.health->passive());
    j.key("panic").value(health_panic(in.health));
    j.end_object();
    if (in.tunnel != nullptr) {
        std::string doc;
        in.tunnel->render_status(doc);
        while (!doc.empty() && doc.back() == '\n')
            doc.pop_back();
        j.key("wireguard").raw(doc);
        return;
    }
    j.key("wireguard").begin_object();
    j.key("enabled").value(false);
    j.key("peers").begin_array();
    if (in.snap != nullptr) {
        for (const routing::wg_peer& p : in.snap->wg_peers) {
            j.begin_object();
            j.key("public_key").value(key_to_base64(p.public_key));
            j.key("endpoint").string_or_null(p.endpoint_text);
            j.key("allowed_ips").begin_array();
            for (const routing::ip_prefix& a : p.allowed_ips)
                j.value(to_string(a));
            j.end_array();
            j.key("persistent_keepalive").value(static_cast<std::uint32_t>(p.persistent_keepalive));
            j.key("last_handshake").null();
            j.end_object();
        }
    }
    j.end_array();
    j.end_object();
}

}  // namespace

void render_status_json(std::string& out, const status_inputs& in) {
    json_writer j(out);
    j.begin_object();
    write_process(j, in);
    write_traffic(j, in);
    write_snapshot(j, in);
    write_backends(j, in);
    write_extras(j, in);
    j.end_object();
    out.push_back('\n');
}

}  // namespace edge::engine
