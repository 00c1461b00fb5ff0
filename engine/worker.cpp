// A worker's set-up, event loop, inbox and drain. The connection life is in conn.cpp and the
// completion dispatch in loop.cpp.

#include "engine/worker.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/log.hpp"
#include "engine/clock.hpp"

namespace edge::engine {

namespace {

__kernel_timespec to_kernel_timespec(milliseconds d) noexcept {
    __kernel_timespec ts{};
    ts.tv_sec = d.count() / 1000;
    ts.tv_nsec = static_cast<long long>(d.count() % 1000) * 1000000;
    return ts;
}

}  // namespace

worker::worker(worker_setup s)
    : index_(s.index),
      cpu_(s.cpu),
      cfg_(*s.cfg),
      features_(s.features),
      conn_limit_(s.conn_limit ? s.conn_limit : s.cfg->max_conns),
      bindings_(s.bindings),
      busy_poll_ns_(static_cast<std::uint64_t>(s.cfg->busy_poll.count()) * 1000),
      snap_(std::move(s.snapshot)),
      geo_db_(std::move(s.geo_db)),
      region_map_(s.region_map ? std::move(s.region_map)
                               : std::make_shared<const geo::region_map>()),
      rng_(0x9e3779b9u * (s.index + 1)),
      inbox_(64) {
    for (auto& fd : s.listeners)
        listeners_.push_back(listener_state{std::move(fd.first), fd.second, false, 0});
    // Created here, before the thread starts, so that post() can never see an invalid fd.
    wake_fd_.reset(eventfd(0, EFD_CLOEXEC));
}

worker::~worker() {
    // Connections still open when the loop ended (a forced stop) close with the process.
    if (conns_) {
        for (std::uint32_t i = 0; i < conns_->high_water(); ++i) {
            if (!conns_->in_use(i)) continue;
            conn& cn = (*conns_)[i];
            for (int& fd : cn.fd)
                if (fd >= 0) ::close(std::exchange(fd, -1));
            release_backend(cn);
        }
    }
}

void worker::set_ready(int state) noexcept {
    ready_.store(state, std::memory_order_release);
    ready_.notify_all();
}

bool worker::wait_ready(std::string& error) {
    int s;
    while ((s = ready_.load(std::memory_order_acquire)) == 0)
        ready_.wait(0, std::memory_order_acquire);
    if (s < 0) error = setup_error_;
    return s > 0;
}

bool worker::post(worker_message m) noexcept {
    if (!inbox_.push(std::move(m))) return false;
    std::uint64_t one = 1;
    // A failed write can only mean the counter is saturated, which wakes the worker anyway.
    (void)!::write(wake_fd_.get(), &one, sizeof(one));
    return true;
}

bool worker::setup(std::string& error) noexcept {
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
    auto b = buf_ring::create(*ring_, buf_ring::options{cfg_.buffers, cfg_.buffer_size, 0});
    if (!b) {
        error = fmt::format("provided buffer ring ({} x {} bytes): {}", cfg_.buffers,
                            cfg_.buffer_size, error_text(b.error()));
        return false;
    }
    bufs_.emplace(std::move(*b));
    // Room beyond the limit for the burst a multishot accept delivers before its cancel lands.
    std::uint32_t capacity = conn_limit_ + 256;
    auto s = slab<conn>::create(capacity);
    auto t = timer_wheel::create(capacity);
    if (!s || !t) {
        error = "cannot reserve memory for the connection table";
        return false;
    }
    conns_.emplace(std::move(*s));
    timers_.emplace(std::move(*t));
    auto po = mmap_array<proxy_out>::create(capacity);
    if (!po) {
        error = "cannot reserve memory for PROXY headers";
        return false;
    }
    proxy_out_ = std::move(*po);
    next_buffer_.reset(new std::uint16_t[cfg_.buffers]);
    buffer_len_.reset(new std::uint32_t[cfg_.buffers]);
    starved_.reserve(1024);  // ENOBUFS is rare; this keeps even a bad burst allocation-free
    if (auto m = metrics_.map_backends(cfg_.max_backends); !m) {
        error = "cannot reserve memory for per-backend metrics";
        return false;
    }
    metrics_.connection_limit.set(conn_limit_);
    live_by_slot_.assign(snap_ ? snap_->slot_capacity : 0, 0);
    if (snap_) acked_version_.store(snap_->version, std::memory_order_release);

    connect_ts_ = to_kernel_timespec(cfg_.connect_timeout);
    accept_retry_ts_ = to_kernel_timespec(milliseconds(100));
    update_clock();
    timers_->advance(now_tick_, [](std::uint32_t) {});

    arm_wake();
    for (std::uint32_t i = 0; i < listeners_.size(); ++i)
        arm_accept(i);
    if (int rc = ring_->submit(); rc < 0) {
        error = fmt::format("io_uring submit failed: {}", std::strerror(-rc));
        return false;
    }
    return true;
}

void worker::run() noexcept {
    std::string error;
    if (!setup(error)) {
        setup_error_ = error;
        set_ready(-1);
        return;
    }
    set_ready(1);
    loop();
    log::debug("worker stopped");
}

void worker::update_clock() noexcept {
    now_ms_ = monotonic_coarse_ms();
    now_tick_ = now_ms_ / tick_ms;
}

int worker::next_timeout_ms() const noexcept {
    // Deadlines are coarse (ticks), so waking at the next tick boundary is enough; with nothing
    // to time, sleep until a completion arrives.
    if (timers_->size() == 0 && !draining_ && !accept_paused_) return -1;
    return static_cast<int>(tick_ms - now_ms_ % tick_ms);
}

void worker::loop() noexcept {
    completion batch[256];
    while (!done_) {
        bufs_->publish();
        // Busy polling (--busy-poll): while work came in recently, poll instead of sleeping, so
        // the next completion is seen without a wake-up (a cross-core IPI, and on a VM an exit
        // from HLT, cost tens of microseconds each).
        bool poll = busy_poll_ns_ != 0 && monotonic_ns() - last_work_ns_ < busy_poll_ns_;
        int rc = poll ? ring_->submit_and_poll() : ring_->submit_and_wait(next_timeout_ms());
        if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
            log::warn("io_uring_enter: {}", std::strerror(-rc));
        update_clock();
        std::uint64_t busy_start = monotonic_ns();
        for (;;) {
            unsigned n = ring_->reap(batch);
            metrics_.completions.add(n);
            if (n != 0) last_work_ns_ = busy_start;
            for (unsigned i = 0; i < n; ++i)
                on_cqe(batch[i]);
            if (n < std::size(batch)) break;
        }
        if (inbox_pending_) {
            inbox_pending_ = false;
            while (auto m = inbox_.pop())
                handle(*m);
        }
        if (!starved_.empty() && bufs_->above_refill_threshold()) rearm_starved();
        timers_->advance(now_tick_, [this](std::uint32_t slot) { on_timer(slot); });
        if (draining_) check_drain();
        metrics_.loop_iterations.add();
        metrics_.record_loop_busy((monotonic_ns() - busy_start) / 1000);
        metrics_.ring_enters.set(ring_->enter_calls());
        metrics_.buffers_held.set(bufs_->held());
    }
}

void worker::arm_wake() noexcept {
    ring_->prep_read(wake_fd_.get(), &wake_value_, sizeof(wake_value_), make_tag(op::wake, 0, 0));
}

void worker::on_wake(const completion& c) noexcept {
    if (c.res < 0 && c.res != -EINTR && c.res != -EAGAIN)
        log::warn("wake-up read failed: {}", std::strerror(-c.res));
    // Messages are handled after this batch of completions (loop()), so that a routing snapshot
    // is swapped at a loop boundary, never between two completions of one batch.
    inbox_pending_ = true;
    if (!done_) arm_wake();
}

void worker::handle(worker_message& m) noexcept {
    switch (m.what) {
        case worker_message::kind::drain:
            start_drain();
            break;
        case worker_message::kind::stop:
            log::info("stopping now with {} connections open", conns_->used());
            done_ = true;
            break;
        case worker_message::kind::tables:
            swap_tables(m);
            break;
        case worker_message::kind::none:
            break;
    }
}

void worker::swap_tables(worker_message& m) noexcept {
    // The control thread still holds what we replace and frees it after every worker has
    // acknowledged, so dropping our references here never frees on the worker's loop.
    if (m.snap) {
        if (m.snap->slot_capacity > live_by_slot_.size())
            live_by_slot_.resize(m.snap->slot_capacity, 0);
        std::uint64_t version = m.snap->version;
        snap_ = std::move(m.snap);
        acked_version_.store(version, std::memory_order_release);
    }
    // The lookup cache notices a new database or map by its generation / fingerprint.
    if (m.geo_db) geo_db_ = std::move(m.geo_db);
    if (m.region_map) region_map_ = std::move(m.region_map);
    acked_publication_.store(m.publication, std::memory_order_release);
}

void worker::check_drain() noexcept {
    bool listeners_open = std::any_of(listeners_.begin(), listeners_.end(),
                                      [](const listener_state& l) { return bool(l.fd); });
    if (!listeners_open && conns_->used() == 0) {
        log::info("drained");
        done_ = true;
        return;
    }
    if (!drain_forced_ && now_ms_ >= drain_deadline_ms_) {
        log::warn("drain timeout: closing {} connections still open", conns_->used());
        drain_forced_ = true;
        drain_force_deadline_ms_ = now_ms_ + 2000;
        for (std::uint32_t i = 0; i < conns_->high_water(); ++i) {
            if (!conns_->in_use(i)) continue;
            conn& cn = (*conns_)[i];
            if (cn.state != conn_state::closing) close_conn(i, cn, close_reason::drain_timeout);
        }
        return;
    }
    if (drain_forced_ && now_ms_ >= drain_force_deadline_ms_) {
        log::warn("{} connections still had operations in the kernel at exit", conns_->used());
        done_ = true;
    }
}

}  // namespace edge::engine
