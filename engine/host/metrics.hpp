#pragma once
// Metrics: each worker owns a block of counters that only it writes; the admin endpoint sums
// the blocks when scraped. Counters are relaxed atomics updated with a plain load and store (one
// writer), which compile to ordinary moves on x86: no lock prefix, no shared cache line.

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.hpp"
#include "engine/uring/mmap_array.hpp"
#include "routing/types.hpp"

namespace edge::engine {

/// A monotonically increasing count written by one thread, read by any.
class counter {
  public:
    void add(std::uint64_t n = 1) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    /// Mirrors a count kept elsewhere by the same writer (e.g. the ring's enter calls).
    void set(std::uint64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
    std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> v_{0};
};

/// A level written by one thread (its worker), read by any.
class gauge {
  public:
    void add(std::int64_t d) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
    }
    void set(std::int64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
    std::int64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::int64_t> v_{0};
};

/// Why a client connection was closed without being proxied (label `reason`).
enum class reject_reason : std::uint8_t {
    no_backend,      // the table has no eligible backend
    capacity,        // every eligible backend is at its hard_limit
    connect_failed,  // every attempt failed (refused, unreachable, timed out)
    overload,        // the worker's connection slab is full
    fd_exhausted,    // no descriptor for the backend socket (EMFILE/ENFILE)
    client_gone,     // the client left before it could be routed
    bad_header,      // a malformed PROXY header on a listener that expects one
    header_timeout,  // no complete PROXY header within --proxy-header-timeout
    count_,
};
inline constexpr std::array<const char*, std::size_t(reject_reason::count_)> reject_reason_names = {
    "no_backend",   "capacity",    "connect_failed", "overload",
    "fd_exhausted", "client_gone", "bad_header",     "header_timeout"};

/// PROXY header errors by engine/proxy_protocol.hpp's proxy_error (index 0, none, unused).
inline constexpr std::size_t proxy_error_slots = 13;

/// How a proxied connection ended (label `reason`).
enum class close_reason : std::uint8_t {
    done,           // both directions finished
    idle_timeout,   // silent both ways for --idle-timeout
    client_error,   // reset or error on the client side
    backend_error,  // reset or error on the backend side
    drain_timeout,  // still open when --drain-timeout ran out
    evicted,        // held the most buffers when the pool and spill ran out (a non-reader)
    count_,
};
inline constexpr std::array<const char*, std::size_t(close_reason::count_)> close_reason_names = {
    "done", "idle_timeout", "client_error", "backend_error", "drain_timeout", "evicted"};

/// Why a connect to a backend failed (label `reason` of the per-backend failure counter).
enum class connect_failure : std::uint8_t {
    refused,      // ECONNREFUSED: nothing listens
    unreachable,  // ENETUNREACH, EHOSTUNREACH…: no route
    reset,        // reset during the handshake
    timeout,      // no answer within --connect-timeout (or the kernel's SYN retries)
    other,        // anything else (EINVAL on a bad address…)
    count_,
};
inline constexpr std::array<const char*, std::size_t(connect_failure::count_)>
    connect_failure_names = {"refused", "unreachable", "reset", "timeout", "other"};

/// Accept errors (label `kind`).
enum class accept_error : std::uint8_t { fd_limit, memory, other, count_ };
inline constexpr std::array<const char*, std::size_t(accept_error::count_)> accept_error_names = {
    "fd_limit", "memory", "other"};

/// Upper bounds (µs) of the edge_worker_loop_busy_seconds histogram (rendered in seconds).
inline constexpr std::array<std::uint64_t, 5> loop_busy_bounds_us = {10, 100, 1000, 10000, 100000};

/// Upper bounds (ms) of the backend connect-time histogram, rendered twice: in seconds as
/// edge_backend_connect_seconds (Prometheus' base unit) and in milliseconds as edgeProxy's
/// documented edge_backend_latency_ms.
inline constexpr std::array<double, 14> latency_bounds_ms = {0.25, 0.5, 1,   2,   5,    10,   25,
                                                             50,   100, 250, 500, 1000, 2500, 5000};

/// Per backend slot, per worker.
struct backend_counters {
    counter connections;  // connects that succeeded
    std::array<counter, std::size_t(connect_failure::count_)> connect_failures;
    std::array<counter, latency_bounds_ms.size() + 1> latency;  // last bucket: +Inf
    counter latency_sum_us;
    // Bytes of this backend's connections, added when each connection ends (GET /status).
    counter bytes_up;    // client → backend
    counter bytes_down;  // backend → client
};

/// One worker's counters. Written only by that worker.
struct worker_metrics {
    gauge connections_current;
    counter connections_total;
    counter bytes_client_to_backend;
    counter bytes_backend_to_client;
    std::array<counter, std::size_t(reject_reason::count_)> rejected;
    std::array<counter, std::size_t(close_reason::count_)> closed;
    std::array<counter, std::size_t(accept_error::count_)> accept_errors;
    counter proxy_headers;  // PROXY headers accepted
    std::array<counter, proxy_error_slots> proxy_header_errors;
    counter geo_hits;          // client locations from the worker's cache
    counter geo_misses;        // client locations looked up in the database
    counter geo_errors;        // lookups that met damaged data
    counter accept_pauses;     // times the worker stopped accepting at its connection limit
    gauge connection_limit;    // the worker's connection limit
    counter enobufs;           // receives stopped because the buffer pool was empty
    counter backpressure;      // receives paused because the other side was not draining
    counter spills;            // directions whose queued bytes moved out of the pool
    counter receive_yields;    // armed receives of heavy flows that stepped aside for starved ones
    counter buffers_spilled;   // pool buffers freed by moving their bytes to spill
    gauge spill_buffers_used;  // spill buffers holding bytes for slow readers now
    counter stale_cqes;        // completions for a slot's previous occupant (dropped)
    counter loop_iterations;
    /// Time one loop iteration spent working (completions, timers, messages; not the wait), by
    /// upper bound in µs; and the longest seen.
    std::array<counter, loop_busy_bounds_us.size() + 1> loop_busy;  // last: above 100000 µs
    counter loop_busy_sum_us;
    gauge loop_busy_max_us;
    counter completions;
    counter ring_enters;
    gauge buffers_held;

    /// Per-backend counters indexed by backend slot; `backend_capacity` entries, zero pages
    /// until a slot is used.
    mmap_array<backend_counters> backends;
    std::uint32_t backend_capacity = 0;

    /// Reserves the per-backend array. Start-up.
    result<void> map_backends(std::uint32_t capacity) noexcept;
    void record_connect_latency(std::uint32_t slot, std::uint64_t micros) noexcept;
    /// One loop iteration's working time into the histogram, its sum and the maximum. Worker.
    void record_loop_busy(std::uint64_t micros) noexcept;
};

/// Routing reloads and affinity, kept by the control thread.
struct routing_stats {
    /// Reloads by result: index 0 "ok", then one per routing::load_failure.
    std::array<std::uint64_t, 6> reloads{};
    std::uint64_t rows_rejected = 0;  // by the last successful load
    std::uint64_t bindings = 0;       // client bindings held now
    std::uint64_t binding_evictions = 0;
    std::uint64_t retired_snapshots = 0;  // old tables waiting for every worker to move on
    bool geo_loaded = false;              // a GeoIP database is in force
    std::uint64_t geo_reloads = 0;        // GeoIP databases swapped in after a file change
    std::uint64_t geo_reload_failures = 0;
};
inline constexpr std::array<const char*, 6> reload_result_names = {
    "ok", "missing", "locked", "corrupt", "wrong_schema", "io_error"};

/// Values the admin endpoint adds beside the workers' counters.
struct process_gauges {
    std::uint64_t workers = 0;
    bool draining = false;
    const routing_stats* routing = nullptr;
};

/// Which backends' series one scrape carries: at most `limit` from `offset`, in table order;
/// `only_backends` leaves the process-wide series out (the paging endpoint).
struct backend_page {
    std::size_t offset = 0;
    std::size_t limit = SIZE_MAX;
    bool only_backends = false;
};

/// Renders Prometheus text exposition (version 0.0.4) of every worker's counters, summed, of
/// the per-backend series for the backends in `snap` (those `page` selects), and the process_*
/// metrics (read from /proc/self now). Names follow Prometheus' conventions (base units,
/// counters end in _total, histograms have _sum and _count; `promtool check metrics` passes)
/// except edgeProxy's documented edge_backend_latency_ms, kept beside
/// edge_backend_connect_seconds. Admin thread.
void render_prometheus(std::string& out, std::span<const worker_metrics* const> workers,
                       const routing::snapshot* snap, const process_gauges& proc,
                       const backend_page& page = {});

}  // namespace edge::engine
