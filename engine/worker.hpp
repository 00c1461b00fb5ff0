#pragma once
// A worker: one thread pinned to one core, with its own io_uring, listeners, buffer pool,
// connection slab, timer wheel, routing snapshot and metrics. Nothing a worker owns is written by
// another thread; the control thread talks to it only through its inbox (an SPSC queue) and the
// eventfd that wakes its ring.
//
// The connection life lives in conn.cpp, the completion dispatch in loop.cpp, set-up, messages and
// drain here.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "engine/buf_ring.hpp"
#include "engine/config.hpp"
#include "engine/conn.hpp"
#include "engine/metrics.hpp"
#include "engine/mmap_array.hpp"
#include "engine/op_tag.hpp"
#include "engine/ring.hpp"
#include "engine/slab.hpp"
#include "engine/timer_wheel.hpp"
#include "engine/xcore_queue.hpp"
#include "geo/database.hpp"
#include "geo/lookup_cache.hpp"
#include "geo/region_map.hpp"
#include "routing/bindings.hpp"
#include "routing/types.hpp"

namespace edge::engine {

/// A message to a worker from the control thread (the inbox's one producer).
struct worker_message {
    enum class kind : std::uint8_t { none, drain, stop, tables };
    kind what = kind::none;
    /// kind::tables: what replaces the worker's copy; null members stay as they are. The worker
    /// acknowledges `publication` once it has swapped, at a loop boundary.
    std::uint64_t publication = 0;
    routing::snapshot_ptr snap;
    std::shared_ptr<const geo::database> geo_db;
    std::shared_ptr<const geo::region_map> region_map;
};

struct worker_setup {
    unsigned index = 0;
    int cpu = -1;  // -1: not pinned
    const config* cfg = nullptr;
    /// Client connections this worker takes at once (from --max-conns and the descriptor budget).
    std::uint32_t conn_limit = 0;
    ring_features features;
    /// This worker's own socket for each listen address, and whether clients there start with
    /// a PROXY header.
    std::vector<std::pair<unique_fd, bool>> listeners;
    routing::snapshot_ptr snapshot;
    routing::binding_table* bindings = nullptr;   // shared by all workers; nullptr: no affinity
    std::shared_ptr<const geo::database> geo_db;  // nullptr: no GeoIP
    std::shared_ptr<const geo::region_map> region_map;
};

class worker {
  public:
    explicit worker(worker_setup setup);
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    /// Thread body: pins itself, builds its ring, accepts and relays until drained or stopped.
    void run() noexcept;

    /// Blocks until the worker accepts connections (true) or failed to start (false, `error`
    /// set). Main thread, at start-up.
    bool wait_ready(std::string& error);

    /// Queues a message and wakes the worker. The control thread only (single producer).
    bool post(worker_message m) noexcept;

    /// This worker's counters, for the scrape. Any thread (read-only).
    const worker_metrics& metrics() const noexcept { return metrics_; }
    unsigned index() const noexcept { return index_; }
    /// Version of the routing snapshot this worker has swapped to. Any thread.
    std::uint64_t snapshot_version() const noexcept {
        return acked_version_.load(std::memory_order_acquire);
    }
    /// The last publication (worker_message::publication) this worker has taken in. Any thread.
    std::uint64_t publication() const noexcept {
        return acked_publication_.load(std::memory_order_acquire);
    }

  private:
    // ---- set-up, loop, messages, drain (worker.cpp) ----
    bool setup(std::string& error) noexcept;
    void loop() noexcept;
    int next_timeout_ms() const noexcept;
    void update_clock() noexcept;
    void arm_wake() noexcept;
    void on_wake(const completion& c) noexcept;
    void handle(worker_message& m) noexcept;
    void start_drain() noexcept;
    void close_listener(std::uint32_t i) noexcept;
    void check_drain() noexcept;
    void swap_tables(worker_message& m) noexcept;
    void set_ready(int state) noexcept;

    // ---- completion dispatch (loop.cpp) ----
    void on_cqe(const completion& c) noexcept;
    void on_stale(const op_tag& t, const completion& c) noexcept;

    // ---- accepting clients (accept.cpp) ----
    bool accepting() const noexcept;
    std::uint32_t accept_headroom() const noexcept;
    void arm_accept(std::uint32_t listener) noexcept;
    void cancel_accepts(std::uint32_t listener) noexcept;
    void resume_accepts() noexcept;
    void on_accept(std::uint32_t listener, const completion& c, std::uint32_t kind) noexcept;
    void on_accept_retry() noexcept;
    void on_conn_added() noexcept;
    void on_conn_removed() noexcept;

    // ---- the connection life (conn.cpp) ----
    void start_conn(int fd, bool expect_header) noexcept;
    void on_header_data(std::uint32_t slot, conn& cn) noexcept;
    geo::location locate(const conn& cn) noexcept;
    void route_and_connect(std::uint32_t slot, conn& cn) noexcept;
    void on_connect(std::uint32_t slot, conn& cn, const completion& c) noexcept;
    void on_connect_timeout(std::uint32_t slot, conn& cn, const completion& c) noexcept;
    void start_relay(std::uint32_t slot, conn& cn) noexcept;
    void on_proxy_sent(std::uint32_t slot, conn& cn, const completion& c) noexcept;
    void arm_recv(std::uint32_t slot, conn& cn, unsigned side, bool poll_first = false) noexcept;
    void on_recv(std::uint32_t slot, conn& cn, unsigned side, const completion& c) noexcept;
    void start_send(std::uint32_t slot, conn& cn, unsigned half) noexcept;
    void on_send(std::uint32_t slot, conn& cn, unsigned half, const completion& c) noexcept;
    /// A half that may send: its next queued bytes, or its EOF once everything is sent.
    void forward(std::uint32_t slot, conn& cn, unsigned half) noexcept;
    void pass_eof(std::uint32_t slot, conn& cn, unsigned half) noexcept;
    void close_conn(std::uint32_t slot, conn& cn, close_reason why) noexcept;
    void reject_conn(std::uint32_t slot, conn& cn, reject_reason why) noexcept;
    void begin_close(std::uint32_t slot, conn& cn) noexcept;
    void op_done(std::uint32_t slot, conn& cn) noexcept;
    void release_backend(conn& cn) noexcept;
    void drop_queue(relay_half& h, bool keep_sending) noexcept;
    void on_timer(std::uint32_t slot) noexcept;
    void rearm_starved() noexcept;
    std::uint32_t take_buffers(relay_half& h, std::uint16_t first, std::uint32_t bytes) noexcept;
    std::uint64_t tag(op kind, std::uint32_t slot, unsigned dir = 0) const noexcept {
        return make_tag(kind, slot, conns_->generation(slot), static_cast<std::uint8_t>(dir));
    }

    struct listener_state {
        unique_fd fd;
        bool proxy_protocol = false;  // clients start with a PROXY header
        bool multishot = false;       // a multishot accept is in the kernel
        std::uint8_t single = 0;      // single-shot accepts in the kernel
    };

    // Identity and configuration.
    const unsigned index_;
    const int cpu_;
    const config& cfg_;
    const ring_features features_;
    const std::uint32_t conn_limit_;
    // Sanctioned sharing (design §3): the one client-affinity table of all workers, locked per
    // shard, touched once per new connection (routing/bindings.hpp).
    routing::binding_table* const bindings_;
    const std::uint64_t busy_poll_ns_;  // 0: sleep as soon as there is nothing to do
    std::uint64_t last_work_ns_ = 0;

    // Owned by the worker thread once run() starts.
    std::optional<ring> ring_;
    std::optional<buf_ring> bufs_;
    std::optional<slab<conn>> conns_;
    std::optional<timer_wheel> timers_;
    std::vector<listener_state> listeners_;
    mmap_array<proxy_out> proxy_out_;               // by connection slot (send-proxy)
    std::unique_ptr<std::uint16_t[]> next_buffer_;  // queue links, by buffer id
    std::unique_ptr<std::uint32_t[]> buffer_len_;   // bytes received into each buffer
    std::vector<std::uint64_t> starved_;            // recv tags waiting for buffers (ENOBUFS)
    routing::snapshot_ptr snap_;
    std::vector<std::uint32_t> live_by_slot_;  // this worker's live connections per backend slot
    std::shared_ptr<const geo::database> geo_db_;
    std::shared_ptr<const geo::region_map> region_map_;
    geo::lookup_cache geo_cache_;  // this worker's own: no sharing between workers
    routing::selection_state selection_;
    std::uint64_t now_ms_ = 0;
    std::uint64_t now_tick_ = 0;
    __kernel_timespec connect_ts_{};
    __kernel_timespec accept_retry_ts_{};
    bool accept_paused_ = false;  // EMFILE/ENFILE: accepts wait for a descriptor to free up
    bool accept_retry_armed_ = false;
    bool accept_error_logged_ = false;
    // Log lines about a recurring failure repeat at most once per log_interval_ms.
    struct rate_limited_log {
        std::uint64_t last_ms = 0;
        std::uint32_t suppressed = 0;
    };
    std::vector<rate_limited_log> backend_log_;  // by backend slot
    std::uint64_t socket_error_log_ms_ = 0;
    bool accept_full_ = false;  // at conn_limit_: new clients wait in the listen backlog
    bool accept_full_logged_ = false;
    bool draining_ = false;
    bool done_ = false;
    std::uint64_t drain_deadline_ms_ = 0;
    bool drain_forced_ = false;
    std::uint64_t drain_force_deadline_ms_ = 0;

    // Cross-thread: the inbox and its wake-up.
    unique_fd wake_fd_;
    std::uint64_t wake_value_ = 0;  // the ring reads the eventfd into this
    bool inbox_pending_ = false;    // the eventfd fired: drain the inbox after this batch
    xcore_queue<worker_message> inbox_;

    // Read by other threads: sanctioned sharing, each with its rule.
    worker_metrics metrics_;                       // written only by this worker (see metrics.hpp)
    std::atomic<std::uint64_t> acked_version_{0};  // written by this worker, read by control
    std::atomic<std::uint64_t> acked_publication_{0};  // likewise
    std::atomic<int> ready_{0};  // 0 starting, 1 ready, -1 failed; main waits on it
    std::string setup_error_;    // written before ready_ = -1, read after
};

/// Worker tick length: idle and header deadlines are kept to this granularity.
inline constexpr std::uint64_t tick_ms = 100;
/// A recurring failure (a dead backend, descriptor exhaustion) is logged at most this often.
inline constexpr std::uint64_t log_interval_ms = 10000;

}  // namespace edge::engine
