// A worker's own machinery: thread pinning, the ring, buffer groups, the timer wheel, the inbox
// and its wake-up, the wait (with optional busy polling) and the loop metrics.

#include "engine/host/worker_core.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

#include "base/log.hpp"
#include "engine/uring/clock.hpp"
#include "engine/uring/op_tag.hpp"

namespace edge::engine {

namespace {

enum class core_op : std::uint8_t { wake = 1 };

}  // namespace

worker_core::worker_core(unsigned index, int cpu, const config& cfg, const ring_features& features)
    : index_(index),
      cpu_(cpu),
      cfg_(cfg),
      features_(features),
      poll_window_(static_cast<std::uint64_t>(cfg.busy_poll.window.count()) * 1000,
                   cfg.busy_poll.adaptive),
      inbox_(64) {
    // Created here, before the thread starts, so that post() can never see an invalid fd.
    wake_fd_.reset(eventfd(0, EFD_CLOEXEC));
}

worker_core::~worker_core() = default;

void worker_core::set_ready(int state, const std::string& error) noexcept {
    if (state < 0) setup_error_ = error;
    ready_.store(state, std::memory_order_release);
    ready_.notify_all();
}

bool worker_core::wait_ready(std::string& error) {
    int s;
    while ((s = ready_.load(std::memory_order_acquire)) == 0)
        ready_.wait(0, std::memory_order_acquire);
    if (s < 0) error = setup_error_;
    return s > 0;
}

bool worker_core::post(worker_message m) noexcept {
    if (!inbox_.push(std::move(m))) return false;
    std::uint64_t one = 1;
    // A failed write can only mean the counter is saturated, which wakes the worker anyway.
    (void)!::write(wake_fd_.get(), &one, sizeof(one));
    return true;
}

bool worker_core::setup_core(std::uint32_t timer_capacity, std::string& error) noexcept {
    log::set_thread_name(fmt::format("worker {}", index_));
    if (cpu_ >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu_, &set);
        if (int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set); rc != 0) {
            error =
                fmt::format("cannot pin worker {} to CPU {}: {}", index_, cpu_, std::strerror(rc));
            return false;
        }
    }
    if (!wake_fd_) {
        error = fmt::format("eventfd: {}", std::strerror(errno));
        return false;
    }
    auto r = ring::create(ring::options{}, features_);
    if (!r) {
        error = fmt::format("io_uring set-up failed: {}", error_text(r.error()));
        return false;
    }
    ring_.emplace(std::move(*r));
    auto t = timer_wheel::create(timer_capacity);
    if (!t) {
        error = "cannot reserve memory for the timer wheel";
        return false;
    }
    timers_.emplace(std::move(*t));
    update_clock();
    timers_->advance(now_tick_, [](std::uint32_t) {});
    return true;
}

result<buf_ring*> worker_core::add_buffer_group(unsigned count, unsigned size) noexcept {
    auto b = buf_ring::create(
        *ring_, buf_ring::options{count, size, static_cast<std::uint16_t>(groups_.size())});
    if (!b) return unexpected(b.error());
    groups_.push_back(std::make_unique<buf_ring>(std::move(*b)));
    return groups_.back().get();
}

result<timer_slice> worker_core::reserve_timers(std::uint32_t count) noexcept {
    if (!timers_ || count > timers_->capacity() - timers_used_)
        return unexpected(std::errc::not_enough_memory);
    timer_slice s(&*timers_, timers_used_, count);
    timers_used_ += count;
    return s;
}

bool worker_core::finish_setup(std::string& error) noexcept {
    arm_wake();
    if (int rc = ring_->submit(); rc < 0) {
        error = fmt::format("io_uring submit failed: {}", std::strerror(-rc));
        return false;
    }
    return true;
}

void worker_core::update_clock() noexcept {
    now_ms_ = monotonic_coarse_ms();
    now_tick_ = now_ms_ / tick_ms;
}

void worker_core::wait_for_work(bool wants_tick) noexcept {
    for (auto& g : groups_)
        g->publish();
    // Busy polling (--busy-poll): while work came in recently, poll instead of sleeping, so the
    // next completion is seen without a wake-up (a cross-core IPI, and on a VM an exit from HLT,
    // cost tens of microseconds each).
    bool poll = poll_window_.window_ns() != 0 && poll_window_.poll(monotonic_ns() - last_work_ns_);
    int rc;
    if (poll) {
        rc = ring_->submit_and_poll();
    } else {
        // Deadlines are coarse (ticks), so waking at the next tick boundary is enough; with
        // nothing to time, sleep until a completion arrives.
        int timeout =
            wants_tick || has_timers() ? static_cast<int>(tick_ms - now_ms_ % tick_ms) : -1;
        rc = ring_->submit_and_wait(timeout);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
        log::warn("io_uring_enter: {}", std::strerror(-rc));
    update_clock();
}

unsigned worker_core::reap(std::span<completion> out) noexcept {
    unsigned n = ring_->reap(out);
    metrics_.completions.add(n);
    if (n != 0) {
        std::uint64_t now = monotonic_ns();
        poll_window_.on_gap(now - last_work_ns_);
        last_work_ns_ = now;
    }
    return n;
}

void worker_core::arm_wake() noexcept {
    ring_->prep_read(wake_fd_.get(), &wake_value_, sizeof(wake_value_),
                     make_tag<core_family>(core_op::wake, 0, 0));
}

void worker_core::on_core_completion(const completion& c) noexcept {
    if (c.res < 0 && c.res != -EINTR && c.res != -EAGAIN)
        log::warn("wake-up read failed: {}", std::strerror(-c.res));
    // Messages are handled after this batch of completions, so that a routing snapshot is
    // swapped at a loop boundary, never between two completions of one batch.
    inbox_pending_ = true;
    arm_wake();
}

void worker_core::end_iteration(std::uint64_t busy_start_ns) noexcept {
    metrics_.loop_iterations.add();
    metrics_.record_loop_busy((monotonic_ns() - busy_start_ns) / 1000);
    metrics_.ring_enters.set(ring_->enter_calls());
    unsigned held = 0;
    for (auto& g : groups_)
        held += g->held();
    metrics_.buffers_held.set(held);
}

}  // namespace edge::engine
