#pragma once
// What every worker owns, whatever runs on it: one thread pinned to one core with its own
// io_uring, buffer groups, timer wheel, inbox, clock and metrics block. The components that run
// on a worker (the TCP proxy today; the tunnel and health checks next) see the worker through
// this class; engine/host/worker.hpp adds the dispatch of completions and messages to them.
//
// Nothing a worker owns is written by another thread. The control thread talks to it only
// through post() (its inbox, an SPSC queue, and the eventfd that wakes its ring) and reads what
// is marked "any thread".

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "engine/host/config.hpp"
#include "engine/host/metrics.hpp"
#include "engine/host/poll_window.hpp"
#include "engine/host/worker_message.hpp"
#include "engine/uring/buf_ring.hpp"
#include "engine/uring/ring.hpp"
#include "engine/uring/timer_wheel.hpp"
#include "engine/uring/xcore_queue.hpp"

namespace edge::engine {

/// Worker tick length: idle and header deadlines are kept to this granularity.
inline constexpr std::uint64_t tick_ms = 100;
/// A recurring failure (a dead backend, descriptor exhaustion) is logged at most this often.
inline constexpr std::uint64_t log_interval_ms = 10000;

/// A deadline in worker ticks: at least one, so that a timeout below the tick still fires.
inline std::uint64_t to_ticks(std::chrono::milliseconds d) noexcept {
    std::uint64_t t = static_cast<std::uint64_t>(d.count()) / tick_ms;
    return t ? t : 1;
}

/// The family of the worker's own operations (the inbox wake-up). Components use 1..15.
inline constexpr std::uint8_t core_family = 0;

/// A component's range of ids in the worker's timer wheel: ids [0, size()) of its own.
class timer_slice {
  public:
    timer_slice() = default;
    timer_slice(timer_wheel* wheel, std::uint32_t base, std::uint32_t size) noexcept
        : wheel_(wheel), base_(base), size_(size) {}
    /// (Re)schedules `id` for tick `deadline`. Worker thread.
    void schedule(std::uint32_t id, std::uint64_t deadline) noexcept {
        wheel_->schedule(base_ + id, deadline);
    }
    void cancel(std::uint32_t id) noexcept { wheel_->cancel(base_ + id); }
    std::uint32_t base() const noexcept { return base_; }
    std::uint32_t size() const noexcept { return size_; }

  private:
    timer_wheel* wheel_ = nullptr;
    std::uint32_t base_ = 0;
    std::uint32_t size_ = 0;
};

class worker_core {
  public:
    worker_core(unsigned index, int cpu, const config& cfg, const ring_features& features);
    virtual ~worker_core();
    worker_core(const worker_core&) = delete;
    worker_core& operator=(const worker_core&) = delete;

    /// Thread body: pins itself, starts its components, and runs until drained or stopped.
    void run() noexcept { run_thread(); }

    // ---- any thread ----

    /// Blocks until the worker runs (true) or failed to start (false, `error` set). Main thread.
    bool wait_ready(std::string& error);
    /// Queues a message and wakes the worker; false when the inbox is full (retry later).
    /// The control thread only (single producer).
    bool post(worker_message m) noexcept;
    /// The last publication (tables_message::publication) this worker has taken in.
    std::uint64_t publication() const noexcept {
        return acked_publication_.load(std::memory_order_acquire);
    }
    /// This worker's counters, for the scrape (read-only).
    const worker_metrics& metrics() const noexcept { return metrics_; }
    unsigned index() const noexcept { return index_; }

    // ---- the worker thread: what components use ----

    const config& cfg() const noexcept { return cfg_; }
    const ring_features& features() const noexcept { return features_; }
    ring& io() noexcept { return *ring_; }
    worker_metrics& metrics() noexcept { return metrics_; }
    /// The clock as read after the loop's last wait (CLOCK_MONOTONIC_COARSE).
    std::uint64_t now_ms() const noexcept { return now_ms_; }
    std::uint64_t now_tick() const noexcept { return now_tick_; }
    /// Creates a provided-buffer group in the ring; the worker publishes what components give
    /// back before each wait. While a component starts.
    result<buf_ring*> add_buffer_group(unsigned count, unsigned size) noexcept;
    /// Reserves `count` ids of the timer wheel. While a component starts.
    result<timer_slice> reserve_timers(std::uint32_t count) noexcept;

  protected:
    /// Thread body of the concrete worker (engine/host/worker.hpp).
    virtual void run_thread() noexcept = 0;

    /// Pins the thread and creates the ring and the timer wheel (`timer_capacity` ids).
    bool setup_core(std::uint32_t timer_capacity, std::string& error) noexcept;
    /// After the components started: arms the inbox wake-up and submits.
    bool finish_setup(std::string& error) noexcept;
    void set_ready(int state, const std::string& error = {}) noexcept;

    /// Publishes returned buffers, submits, and waits for work (or polls, with --busy-poll),
    /// at most until the next tick when `wants_tick`. Updates the clock.
    void wait_for_work(bool wants_tick) noexcept;
    /// Copies ready completions; returns how many (0: none left this round).
    unsigned reap(std::span<completion> out) noexcept;
    /// A completion of the core family: the inbox wake-up. Sets inbox_pending().
    void on_core_completion(const completion& c) noexcept;
    bool take_inbox_pending() noexcept { return std::exchange(inbox_pending_, false); }
    std::optional<worker_message> pop_message() noexcept { return inbox_.pop(); }
    void ack_publication(std::uint64_t p) noexcept {
        acked_publication_.store(p, std::memory_order_release);
    }
    /// Expires due timers, calling on_expire(wheel id).
    template <class F>
    void advance_timers(F&& on_expire) {
        timers_->advance(now_tick_, on_expire);
    }
    /// Loop metrics for an iteration that started working at `busy_start_ns`.
    void end_iteration(std::uint64_t busy_start_ns) noexcept;
    bool has_timers() const noexcept { return timers_ && timers_->size() != 0; }
    std::uint32_t timer_capacity() const noexcept { return timers_used_; }

  private:
    void update_clock() noexcept;
    void arm_wake() noexcept;

    const unsigned index_;
    const int cpu_;
    const config& cfg_;
    const ring_features features_;
    poll_window poll_window_;  // --busy-poll (a zero window: sleep as soon as nothing is left)
    std::uint64_t last_work_ns_ = 0;

    // Owned by the worker thread once it runs.
    std::optional<ring> ring_;
    std::vector<std::unique_ptr<buf_ring>> groups_;
    std::optional<timer_wheel> timers_;
    std::uint32_t timers_used_ = 0;
    std::uint64_t now_ms_ = 0;
    std::uint64_t now_tick_ = 0;

    // Cross-thread: the inbox and its wake-up.
    unique_fd wake_fd_;
    std::uint64_t wake_value_ = 0;  // the ring reads the eventfd into this
    bool inbox_pending_ = false;    // the eventfd fired: drain the inbox after this batch
    xcore_queue<worker_message> inbox_;

    // Read by other threads: sanctioned sharing, each with its rule.
    worker_metrics metrics_;  // written only by this worker (see metrics.hpp)
    std::atomic<std::uint64_t> acked_publication_{0};  // written by this worker, read by control
    std::atomic<int> ready_{0};  // 0 starting, 1 ready, -1 failed; main waits on it
    std::string setup_error_;    // written before ready_ = -1, read after
};

}  // namespace edge::engine
