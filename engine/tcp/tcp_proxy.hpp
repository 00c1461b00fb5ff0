#pragma once
// The TCP proxy: the component that accepts clients, routes each to a backend from the routing
// snapshot, and relays bytes both ways. It owns its listeners' accept state (accept_gate), its
// connection slab, its relay buffers (a pool buffer group plus spill), its copy of the routing
// tables and its per-backend live counts. It runs on a worker (engine/host/worker.hpp describes the
// contract) and uses only the worker's ring, timers, clock and metrics block.
//
// Where things are: tcp_proxy.cpp (set-up, dispatch, tables, timers, drain), connect.cpp (a new
// client, PROXY header, routing, connect), relay.cpp (receive, send, EOF, close),
// buffer_pressure.cpp (keeping the shared buffer pool from running dry).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/host/access_record.hpp"
#include "engine/host/listener_set.hpp"
#include "engine/host/record_ring.hpp"
#include "engine/host/worker_core.hpp"
#include "engine/host/worker_message.hpp"
#include "engine/tcp/accept_gate.hpp"
#include "engine/tcp/connection.hpp"
#include "engine/uring/buffer_queue.hpp"
#include "engine/uring/mmap_array.hpp"
#include "engine/uring/op_tag.hpp"
#include "engine/uring/slab.hpp"
#include "geo/database.hpp"
#include "geo/lookup_cache.hpp"
#include "geo/region_map.hpp"
#include "routing/bindings.hpp"
#include "routing/select.hpp"
#include "routing/types.hpp"

namespace edge::engine {

class tcp_proxy {
  public:
    static constexpr std::uint8_t family = 1;

    struct setup {
        /// This worker's socket on each listen address, and their owner (released on drain).
        std::vector<listener_set::socket> listeners;
        listener_set* listener_owner = nullptr;
        /// Client connections this worker takes at once (from --max-conns and the descriptor
        /// budget).
        std::uint32_t conn_limit = 0;
        routing::snapshot_ptr snapshot;
        routing::binding_table* bindings = nullptr;   // shared by all workers; null: no affinity
        std::shared_ptr<const geo::database> geo_db;  // null: no GeoIP
        std::shared_ptr<const geo::region_map> region_map;
        /// This worker's access log ring (engine/access_log); null: no access log.
        record_ring* access_log = nullptr;
    };

    /// Timer ids: one per connection slot.
    static std::uint32_t timers_needed(const setup& s) noexcept { return slab_capacity(s); }

    tcp_proxy(worker_core& core, setup&& s);
    ~tcp_proxy();
    tcp_proxy(const tcp_proxy&) = delete;
    tcp_proxy& operator=(const tcp_proxy&) = delete;

    // ---- the component contract (engine/host/worker.hpp); worker thread ----
    bool start(std::string& error) noexcept;
    const timer_slice& timers() const noexcept { return timers_; }
    void on_completion(const completion& c) noexcept;
    void after_batch() noexcept;
    void on_timer(std::uint32_t slot) noexcept;
    bool wants_tick() const noexcept { return gate_.paused(); }
    void on_message(tables_message& m) noexcept;
    void start_drain() noexcept;
    bool drained() const noexcept { return gate_.closed() && conns_->used() == 0; }
    void force_close() noexcept;

    /// Connections open now (tests, drain logs).
    std::uint32_t connections() const noexcept { return conns_ ? conns_->used() : 0; }

  private:
    static std::uint32_t slab_capacity(const setup& s) noexcept;

    // ---- connect.cpp: a new client, its PROXY header, routing and connect ----
    void start_conn(const accept_gate::accepted& a) noexcept;
    void on_header_data(std::uint32_t slot, conn& cn) noexcept;
    geo::location locate(const conn& cn) noexcept;
    void route_and_connect(std::uint32_t slot, conn& cn) noexcept;
    void on_connect(std::uint32_t slot, conn& cn, const completion& c) noexcept;
    void on_connect_timeout(std::uint32_t slot, conn& cn) noexcept;
    void log_connect_failure(const conn& cn, int err, bool timed_out) noexcept;
    void release_backend(conn& cn) noexcept;

    // ---- relay.cpp: receive, send, EOF, close ----
    void start_relay(std::uint32_t slot, conn& cn) noexcept;
    void on_proxy_sent(std::uint32_t slot, conn& cn, const completion& c) noexcept;
    void arm_recv(std::uint32_t slot, conn& cn, unsigned side, bool poll_first = false) noexcept;
    void pause_recv(std::uint32_t slot, conn& cn, unsigned side) noexcept;
    void on_recv(std::uint32_t slot, conn& cn, unsigned side, const completion& c) noexcept;
    void start_send(std::uint32_t slot, conn& cn, unsigned half) noexcept;
    void on_send(std::uint32_t slot, conn& cn, unsigned half, const completion& c) noexcept;
    /// A half that may send: its next queued bytes, or its EOF once everything is sent.
    void forward(std::uint32_t slot, conn& cn, unsigned half) noexcept;
    void pass_eof(std::uint32_t slot, conn& cn, unsigned half) noexcept;
    void maybe_resume(std::uint32_t slot, conn& cn, unsigned half) noexcept;
    void close_conn(std::uint32_t slot, conn& cn, close_reason why) noexcept;
    void reject_conn(std::uint32_t slot, conn& cn, reject_reason why) noexcept;
    void begin_close(std::uint32_t slot, conn& cn) noexcept;
    void op_done(std::uint32_t slot, conn& cn) noexcept;
    void on_stale(const op_tag& t, const completion& c) noexcept;

    // ---- access_trace.cpp: each connection's access log record (only with --access-log) ----
    void trace_accept(std::uint32_t slot, std::uint16_t listener) noexcept;
    void trace_overload(std::uint16_t listener) noexcept;
    void trace_location(std::uint32_t slot, const geo::location& where) noexcept;
    void trace_backend(std::uint32_t slot, const routing::backend& b) noexcept;
    void trace_connected(std::uint32_t slot, std::uint64_t micros) noexcept;
    void trace_connect_failed(std::uint32_t slot, bool timed_out) noexcept;
    void trace_end(std::uint32_t slot, termination t) noexcept;
    /// The connection's last operation finished: its record goes to the log thread's ring.
    void trace_finish(std::uint32_t slot, const conn& cn) noexcept;
    /// Adds a finished connection's bytes to its backend's counters (GET /status).
    void count_backend_bytes(const conn& cn) noexcept;

    // ---- buffer_pressure.cpp: the shared pool never runs dry ----
    /// Bytes a half may queue before its receive pauses: --max-inflight while the pool is
    /// comfortable, two buffers once it runs low.
    std::uint32_t allowance() const noexcept;
    void on_enobufs(std::uint32_t slot, unsigned side) noexcept;
    void rearm_starved() noexcept;
    void yield_to_starved() noexcept;
    void relieve_pressure() noexcept;
    /// Moves a half's pool buffers into spill (cancelling its stalled send first); false when
    /// the spill area is full.
    bool spill_half(std::uint32_t slot, conn& cn, unsigned half) noexcept;
    void evict_largest() noexcept;

    std::uint64_t tag(tcp_op op, std::uint32_t slot, unsigned dir = 0) const noexcept {
        return make_tag<family>(op, slot, conns_->generation(slot), static_cast<std::uint8_t>(dir));
    }
    std::uint32_t now_tick32() const noexcept {
        return static_cast<std::uint32_t>(core_.now_tick());
    }

    worker_core& core_;
    const config& cfg_;
    worker_metrics& metrics_;
    setup setup_;
    accept_gate gate_;
    // Sanctioned sharing (design §3): the one client-affinity table of all workers, locked per
    // shard, touched once per new connection (routing/bindings.hpp).
    routing::binding_table* const bindings_;

    buf_ring* pool_ = nullptr;
    std::optional<buffer_store> store_;
    std::optional<slab<conn>> conns_;
    timer_slice timers_;
    mmap_array<proxy_out> proxy_out_;  // by connection slot (send-proxy)
    // With --access-log: each connection's record, filled as it goes (by connection slot),
    // copied into the ring when it ends.
    record_ring* const log_ring_;
    mmap_array<access_record> trace_;
    std::vector<std::uint64_t> starved_;  // recv tags waiting for buffers (ENOBUFS)
    struct relief_candidate {
        std::uint16_t pool_buffers;
        std::uint32_t slot;
        std::uint8_t half;
        std::uint64_t bytes_in;
    };
    std::vector<relief_candidate> relief_candidates_;  // reused by every relief pass
    std::uint64_t last_relief_ms_ = 0;
    std::uint64_t last_yield_ms_ = 0;
    bool draining_ = false;

    routing::snapshot_ptr snap_;
    std::vector<std::uint32_t> live_by_slot_;  // this worker's live connections per backend slot
    std::shared_ptr<const geo::database> geo_db_;
    std::shared_ptr<const geo::region_map> region_map_;
    geo::lookup_cache geo_cache_;         // this worker's own: no sharing between workers
    routing::selection_state selection_;  // this worker's own tie-breaking state
    __kernel_timespec connect_ts_{};

    // Log lines about a recurring failure repeat at most once per log_interval_ms.
    struct rate_limited_log {
        std::uint64_t last_ms = 0;
        std::uint32_t suppressed = 0;
    };
    std::vector<rate_limited_log> backend_log_;  // by backend slot
    std::uint64_t socket_error_log_ms_ = 0;
    rate_limited_log eviction_log_;
};

}  // namespace edge::engine
