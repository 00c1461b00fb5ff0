#include "engine/host/metrics.hpp"

#include "engine/codec/proxy_protocol.hpp"
#include "engine/host/process_stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace edge::engine {

result<void> worker_metrics::map_backends(std::uint32_t capacity) noexcept {
    auto a = mmap_array<backend_counters>::create(capacity);
    if (!a) return unexpected(a.error());
    backends = std::move(*a);
    backend_capacity = capacity;
    return {};
}

void worker_metrics::record_connect_latency(std::uint32_t slot, std::uint64_t micros) noexcept {
    if (slot >= backend_capacity) return;
    backend_counters& b = backends[slot];
    double ms = static_cast<double>(micros) / 1000.0;
    auto it = std::lower_bound(latency_bounds_ms.begin(), latency_bounds_ms.end(), ms);
    b.latency[static_cast<std::size_t>(it - latency_bounds_ms.begin())].add();
    b.latency_sum_us.add(micros);
}

void worker_metrics::record_loop_busy(std::uint64_t micros) noexcept {
    std::size_t bucket = 0;
    while (bucket < loop_busy_bounds_us.size() && micros > loop_busy_bounds_us[bucket])
        ++bucket;
    loop_busy[bucket].add();
    loop_busy_sum_us.add(micros);
    if (static_cast<std::int64_t>(micros) > loop_busy_max_us.get())
        loop_busy_max_us.set(static_cast<std::int64_t>(micros));
}

namespace {

// Histogram bounds kept in µs or ms, in seconds for rendering.
template <class T, std::size_t N>
constexpr std::array<double, N> in_seconds(const std::array<T, N>& bounds, double per_second) {
    std::array<double, N> out{};
    for (std::size_t i = 0; i < N; ++i)
        out[i] = static_cast<double>(bounds[i]) / per_second;
    return out;
}
constexpr auto loop_busy_bounds_s = in_seconds(loop_busy_bounds_us, 1e6);
constexpr auto latency_bounds_s = in_seconds(latency_bounds_ms, 1e3);

using out_it = std::back_insert_iterator<std::string>;

void header(out_it o, const char* name, const char* type, const char* help) {
    fmt::format_to(o, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <class F>
std::uint64_t sum(std::span<const worker_metrics* const> ws, F&& get) {
    std::uint64_t s = 0;
    for (const worker_metrics* w : ws)
        s += get(*w);
    return s;
}

template <class F>
void simple(out_it o, std::span<const worker_metrics* const> ws, const char* name, const char* type,
            const char* help, F&& get) {
    header(o, name, type, help);
    fmt::format_to(o, "{} {}\n", name, sum(ws, get));
}

// The _bucket lines of one histogram series labelled `label`=`value`: count(i) is bucket i's
// own count, i == N the one above the last bound. Returns the total, for _count.
template <class Bound, std::size_t N, class F>
std::uint64_t buckets(out_it o, const char* name, const char* label, const auto& value,
                      const std::array<Bound, N>& bounds, F&& count) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= N; ++i) {
        cumulative += count(i);
        if (i < N)
            fmt::format_to(o, "{}_bucket{{{}=\"{}\",le=\"{}\"}} {}\n", name, label, value,
                           bounds[i], cumulative);
        else
            fmt::format_to(o, "{}_bucket{{{}=\"{}\",le=\"+Inf\"}} {}\n", name, label, value,
                           cumulative);
    }
    return cumulative;
}

template <std::size_t N, class F>
void labelled(out_it o, std::span<const worker_metrics* const> ws, const char* name,
              const char* help, const char* label, const std::array<const char*, N>& values,
              F&& get) {
    header(o, name, "counter", help);
    for (std::size_t i = 0; i < N; ++i)
        fmt::format_to(o, "{}{{{}=\"{}\"}} {}\n", name, label, values[i],
                       sum(ws, [&](const worker_metrics& w) { return get(w, i); }));
}

// Prometheus label values escape backslash, double quote and newline.
std::string escape(const std::string& s) {
    std::string r;
    r.reserve(s.size());
    for (char c : s) {
        if (c == '\\' || c == '"') r.push_back('\\');
        if (c == '\n') {
            r += "\\n";
            continue;
        }
        r.push_back(c);
    }
    return r;
}

// Prometheus' standard process metrics, as its client libraries name them.
void render_process(out_it o) {
    const std::optional<process_stats> p = read_process_stats();
    if (!p) return;
    header(o, "process_cpu_seconds_total", "counter", "User and system CPU time spent");
    fmt::format_to(o, "process_cpu_seconds_total {}\n", p->cpu_seconds);
    header(o, "process_resident_memory_bytes", "gauge", "Resident memory size");
    fmt::format_to(o, "process_resident_memory_bytes {}\n", p->resident_bytes);
    header(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size");
    fmt::format_to(o, "process_virtual_memory_bytes {}\n", p->virtual_bytes);
    header(o, "process_open_fds", "gauge", "Open file descriptors");
    fmt::format_to(o, "process_open_fds {}\n", p->open_fds);
    header(o, "process_max_fds", "gauge", "Maximum number of open file descriptors");
    fmt::format_to(o, "process_max_fds {}\n", p->max_fds);
    header(o, "process_start_time_seconds", "gauge",
           "Start time of the process since the Unix epoch");
    fmt::format_to(o, "process_start_time_seconds {:.2f}\n", p->start_time_seconds);
}

// Everything but the per-backend series.
void render_process_series(out_it o, std::span<const worker_metrics* const> ws,
                           const routing::snapshot* snap, const process_gauges& proc) {
    header(o, "edge_build_info", "gauge", "edgeproxy version");
    fmt::format_to(o, "edge_build_info{{version=\"{}\"}} 1\n", EDGE_VERSION);
    header(o, "edge_workers", "gauge", "Worker threads (one per pinned core)");
    fmt::format_to(o, "edge_workers {}\n", proc.workers);
    header(o, "edge_draining", "gauge", "1 while the proxy drains after SIGTERM/SIGINT");
    fmt::format_to(o, "edge_draining {}\n", proc.draining ? 1 : 0);
    render_process(o);

    simple(o, ws, "edge_connections_total", "counter", "Client connections accepted",
           [](const worker_metrics& w) { return w.connections_total.get(); });
    header(o, "edge_connections_current", "gauge", "Client connections open now");
    std::int64_t cur = 0;
    for (const worker_metrics* w : ws)
        cur += w->connections_current.get();
    fmt::format_to(o, "edge_connections_current {}\n", cur);
    labelled(o, ws, "edge_connections_rejected_total",
             "Client connections closed without a backend, by reason", "reason",
             reject_reason_names,
             [](const worker_metrics& w, std::size_t i) { return w.rejected[i].get(); });
    labelled(o, ws, "edge_connections_closed_total", "Proxied connections ended, by reason",
             "reason", close_reason_names,
             [](const worker_metrics& w, std::size_t i) { return w.closed[i].get(); });
    header(o, "edge_bytes_total", "counter", "Bytes relayed, by direction");
    fmt::format_to(
        o, "edge_bytes_total{{direction=\"client_to_backend\"}} {}\n",
        sum(ws, [](const worker_metrics& w) { return w.bytes_client_to_backend.get(); }));
    fmt::format_to(
        o, "edge_bytes_total{{direction=\"backend_to_client\"}} {}\n",
        sum(ws, [](const worker_metrics& w) { return w.bytes_backend_to_client.get(); }));
    labelled(o, ws, "edge_accept_errors_total", "Accept errors, by kind", "kind",
             accept_error_names,
             [](const worker_metrics& w, std::size_t i) { return w.accept_errors[i].get(); });
    simple(o, ws, "edge_proxy_headers_total", "counter", "PROXY protocol headers accepted",
           [](const worker_metrics& w) { return w.proxy_headers.get(); });
    header(o, "edge_proxy_header_errors_total", "counter",
           "PROXY protocol headers refused (the connection is closed), by reason");
    for (std::size_t i = 1; i < proxy_error_slots; ++i)
        fmt::format_to(o, "edge_proxy_header_errors_total{{reason=\"{}\"}} {}\n",
                       describe(static_cast<proxy_error>(i)), sum(ws, [i](const worker_metrics& w) {
                           return w.proxy_header_errors[i].get();
                       }));
    header(o, "edge_geoip_lookups_total", "counter",
           "Client location lookups: from a worker's cache, from the database, or failed on "
           "damaged data");
    fmt::format_to(o, "edge_geoip_lookups_total{{source=\"cache\"}} {}\n",
                   sum(ws, [](const worker_metrics& w) { return w.geo_hits.get(); }));
    fmt::format_to(o, "edge_geoip_lookups_total{{source=\"database\"}} {}\n",
                   sum(ws, [](const worker_metrics& w) { return w.geo_misses.get(); }));
    fmt::format_to(o, "edge_geoip_lookups_total{{source=\"error\"}} {}\n",
                   sum(ws, [](const worker_metrics& w) { return w.geo_errors.get(); }));
    simple(o, ws, "edge_accept_pauses_total", "counter",
           "Times a worker stopped accepting at its connection limit (clients wait in the backlog)",
           [](const worker_metrics& w) { return w.accept_pauses.get(); });
    header(o, "edge_connections_limit", "gauge",
           "Client connections the proxy takes at once (--max-conns and RLIMIT_NOFILE)");
    std::int64_t limit = 0;
    for (const worker_metrics* w : ws)
        limit += w->connection_limit.get();
    fmt::format_to(o, "edge_connections_limit {}\n", limit);
    simple(o, ws, "edge_buffer_exhausted_total", "counter",
           "Receives stopped because the worker's buffer pool was empty (ENOBUFS)",
           [](const worker_metrics& w) { return w.enobufs.get(); });
    simple(o, ws, "edge_backpressure_pauses_total", "counter",
           "Receives paused because the other side was not draining",
           [](const worker_metrics& w) { return w.backpressure.get(); });
    simple(o, ws, "edge_buffer_spills_total", "counter",
           "Directions whose bytes waiting on a slow reader moved out of the shared buffer pool",
           [](const worker_metrics& w) { return w.spills.get(); });
    simple(o, ws, "edge_receive_yields_total", "counter",
           "Armed receives of heavy flows that stepped aside while others waited for buffers",
           [](const worker_metrics& w) { return w.receive_yields.get(); });
    simple(o, ws, "edge_buffers_spilled_total", "counter",
           "Pool buffers freed by moving their bytes to spill memory",
           [](const worker_metrics& w) { return w.buffers_spilled.get(); });
    header(o, "edge_spill_buffers", "gauge", "Spill buffers holding bytes for slow readers now");
    std::int64_t spill = 0;
    for (const worker_metrics* w : ws)
        spill += w->spill_buffers_used.get();
    fmt::format_to(o, "edge_spill_buffers {}\n", spill);
    simple(o, ws, "edge_stale_completions_total", "counter",
           "Completions for a connection slot's previous occupant (dropped)",
           [](const worker_metrics& w) { return w.stale_cqes.get(); });

    header(o, "edge_worker_loop_iterations_total", "counter", "Event loop iterations, per worker");
    for (std::size_t i = 0; i < ws.size(); ++i)
        fmt::format_to(o, "edge_worker_loop_iterations_total{{worker=\"{}\"}} {}\n", i,
                       ws[i]->loop_iterations.get());
    header(o, "edge_worker_loop_busy_seconds", "histogram",
           "Time a worker's loop iteration spent working (not waiting)");
    for (std::size_t i = 0; i < ws.size(); ++i) {
        std::uint64_t total =
            buckets(o, "edge_worker_loop_busy_seconds", "worker", i, loop_busy_bounds_s,
                    [&](std::size_t b) { return ws[i]->loop_busy[b].get(); });
        fmt::format_to(o, "edge_worker_loop_busy_seconds_sum{{worker=\"{}\"}} {}\n", i,
                       static_cast<double>(ws[i]->loop_busy_sum_us.get()) / 1e6);
        fmt::format_to(o, "edge_worker_loop_busy_seconds_count{{worker=\"{}\"}} {}\n", i, total);
    }
    header(o, "edge_worker_loop_busy_max_seconds", "gauge",
           "Longest loop iteration of a worker since start");
    for (std::size_t i = 0; i < ws.size(); ++i)
        fmt::format_to(o, "edge_worker_loop_busy_max_seconds{{worker=\"{}\"}} {}\n", i,
                       static_cast<double>(ws[i]->loop_busy_max_us.get()) / 1e6);
    header(o, "edge_worker_completions_total", "counter", "io_uring completions, per worker");
    for (std::size_t i = 0; i < ws.size(); ++i)
        fmt::format_to(o, "edge_worker_completions_total{{worker=\"{}\"}} {}\n", i,
                       ws[i]->completions.get());
    header(o, "edge_worker_ring_enters_total", "counter", "io_uring_enter calls, per worker");
    for (std::size_t i = 0; i < ws.size(); ++i)
        fmt::format_to(o, "edge_worker_ring_enters_total{{worker=\"{}\"}} {}\n", i,
                       ws[i]->ring_enters.get());
    header(o, "edge_worker_connections_total", "counter",
           "Client connections accepted, per worker");
    for (std::size_t i = 0; i < ws.size(); ++i)
        fmt::format_to(o, "edge_worker_connections_total{{worker=\"{}\"}} {}\n", i,
                       ws[i]->connections_total.get());
    header(o, "edge_worker_connections_current", "gauge", "Client connections open, per worker");
    for (std::size_t i = 0; i < ws.size(); ++i)
        fmt::format_to(o, "edge_worker_connections_current{{worker=\"{}\"}} {}\n", i,
                       ws[i]->connections_current.get());
    header(o, "edge_buffers_held", "gauge", "Receive buffers holding data in flight, per worker");
    for (std::size_t i = 0; i < ws.size(); ++i)
        fmt::format_to(o, "edge_buffers_held{{worker=\"{}\"}} {}\n", i, ws[i]->buffers_held.get());

    if (proc.routing != nullptr) {
        const routing_stats& r = *proc.routing;
        header(
            o, "edge_routing_reloads_total", "counter",
            "routing.db loads after a change, by result (a failed one keeps the last good table)");
        for (std::size_t i = 0; i < r.reloads.size(); ++i)
            fmt::format_to(o, "edge_routing_reloads_total{{result=\"{}\"}} {}\n",
                           reload_result_names[i], r.reloads[i]);
        header(o, "edge_routing_rows_rejected", "gauge", "Rows the last good load left out");
        fmt::format_to(o, "edge_routing_rows_rejected {}\n", r.rows_rejected);
        header(o, "edge_routing_retired_snapshots", "gauge",
               "Old routing tables waiting for every worker to move on");
        fmt::format_to(o, "edge_routing_retired_snapshots {}\n", r.retired_snapshots);
        header(o, "edge_geoip_loaded", "gauge", "1 when a GeoIP database is in force");
        fmt::format_to(o, "edge_geoip_loaded {}\n", r.geo_loaded ? 1 : 0);
        header(o, "edge_geoip_reloads_total", "counter", "GeoIP database reloads, by result");
        fmt::format_to(o, "edge_geoip_reloads_total{{result=\"ok\"}} {}\n", r.geo_reloads);
        fmt::format_to(o, "edge_geoip_reloads_total{{result=\"failed\"}} {}\n",
                       r.geo_reload_failures);
        header(o, "edge_bindings_current", "gauge", "Client affinity bindings held");
        fmt::format_to(o, "edge_bindings_current {}\n", r.bindings);
        header(o, "edge_bindings_evicted_total", "counter",
               "Bindings evicted before their TTL because the table was full");
        fmt::format_to(o, "edge_bindings_evicted_total {}\n", r.binding_evictions);
    }
    if (snap == nullptr) return;
    header(o, "edge_routing_backends", "gauge", "Backends in the routing table in force, by state");
    std::size_t healthy = 0, draining = 0;
    for (const routing::backend& b : snap->backends) {
        healthy += b.healthy && !b.draining;
        draining += b.healthy && b.draining;
    }
    fmt::format_to(o, "edge_routing_backends{{state=\"healthy\"}} {}\n", healthy);
    fmt::format_to(o, "edge_routing_backends{{state=\"draining\"}} {}\n", draining);
    fmt::format_to(o, "edge_routing_backends{{state=\"unhealthy\"}} {}\n",
                   snap->backends.size() - healthy - draining);
    header(o, "edge_routing_snapshot_version", "gauge", "Version of the routing table in force");
    fmt::format_to(o, "edge_routing_snapshot_version {}\n", snap->version);
}

}  // namespace

void render_prometheus(std::string& out, std::span<const worker_metrics* const> ws,
                       const routing::snapshot* snap, const process_gauges& proc,
                       const backend_page& page) {
    auto o = std::back_inserter(out);
    if (!page.only_backends) render_process_series(o, ws, snap, proc);
    if (snap == nullptr) return;
    std::span<const routing::backend> all(snap->backends);
    std::size_t first = std::min(page.offset, all.size());
    std::span<const routing::backend> backends =
        all.subspan(first, std::min(page.limit, all.size() - first));
    if (!page.only_backends) {
        header(o, "edge_metrics_backends_omitted", "gauge",
               "Backends whose series this scrape leaves out (--metrics-max-backends); "
               "/metrics/backends?offset=N pages through them");
        fmt::format_to(o, "edge_metrics_backends_omitted {}\n", all.size() - backends.size());
    }
    header(o, "edge_backend_state", "gauge",
           "1 for the state each backend is in (healthy, draining, unhealthy), else 0");
    for (const routing::backend& b : backends) {
        const char* state = !b.healthy ? "unhealthy" : b.draining ? "draining" : "healthy";
        std::string id = escape(b.id);
        for (const char* s : {"healthy", "draining", "unhealthy"})
            fmt::format_to(o, "edge_backend_state{{backend=\"{}\",state=\"{}\"}} {}\n", id, s,
                           s == std::string_view(state) ? 1 : 0);
    }
    header(o, "edge_backend_connections_current", "gauge",
           "Live proxied connections per backend (all workers)");
    for (const routing::backend& b : backends)
        fmt::format_to(o, "edge_backend_connections_current{{backend=\"{}\"}} {}\n", escape(b.id),
                       b.shared ? b.shared->live.load(std::memory_order_relaxed) : 0);
    auto per_backend = [&](const routing::backend& b, auto&& get) {
        std::uint64_t s = 0;
        for (const worker_metrics* w : ws)
            if (b.slot < w->backend_capacity) s += get(w->backends[b.slot]);
        return s;
    };
    header(o, "edge_backend_connections_total", "counter", "Connections established per backend");
    for (const routing::backend& b : backends)
        fmt::format_to(
            o, "edge_backend_connections_total{{backend=\"{}\"}} {}\n", escape(b.id),
            per_backend(b, [](const backend_counters& c) { return c.connections.get(); }));
    header(o, "edge_backend_connect_failures_total", "counter",
           "Failed connects per backend, by reason (refused, unreachable, reset, timeout, other)");
    for (const routing::backend& b : backends) {
        std::string id = escape(b.id);
        for (std::size_t r = 0; r < connect_failure_names.size(); ++r)
            fmt::format_to(
                o, "edge_backend_connect_failures_total{{backend=\"{}\",reason=\"{}\"}} {}\n", id,
                connect_failure_names[r], per_backend(b, [r](const backend_counters& c) {
                    return c.connect_failures[r].get();
                }));
    }
    // The connect-time histogram in seconds, and again in milliseconds under edgeProxy's
    // documented name (dashboards built for edgeProxy keep working; new ones should use seconds).
    auto connect_histogram = [&](const char* name, const auto& bounds, double sum_divisor) {
        for (const routing::backend& b : backends) {
            std::string id = escape(b.id);
            std::uint64_t cumulative = buckets(o, name, "backend", id, bounds, [&](std::size_t i) {
                return per_backend(b,
                                   [i](const backend_counters& c) { return c.latency[i].get(); });
            });
            std::uint64_t sum_us =
                per_backend(b, [](const backend_counters& c) { return c.latency_sum_us.get(); });
            fmt::format_to(o, "{}_sum{{backend=\"{}\"}} {}\n", name, id,
                           static_cast<double>(sum_us) / sum_divisor);
            fmt::format_to(o, "{}_count{{backend=\"{}\"}} {}\n", name, id, cumulative);
        }
    };
    header(o, "edge_backend_connect_seconds", "histogram", "Time to connect to a backend");
    connect_histogram("edge_backend_connect_seconds", latency_bounds_s, 1e6);
    header(o, "edge_backend_latency_ms", "histogram",
           "Time to connect to a backend, milliseconds (edgeProxy's name; prefer "
           "edge_backend_connect_seconds)");
    connect_histogram("edge_backend_latency_ms", latency_bounds_ms, 1e3);
}

}  // namespace edge::engine
