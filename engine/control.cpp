#include "engine/control.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/log.hpp"

namespace edge::engine {

namespace {

sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

std::uint64_t monotonic_coarse_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000 +
           static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace

void control::block_signals() noexcept {
    sigset_t set = handled_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // Writes to a peer that has gone come back as EPIPE from the ring; never as a signal.
    signal(SIGPIPE, SIG_IGN);
}

control::control(setup s)
    : cfg_(*s.cfg),
      workers_(std::move(s.workers)),
      admin_(std::move(s.admin)),
      snap_(std::move(s.snapshot)),
      registry_(s.registry),
      load_(std::move(s.load)),
      watcher_(std::move(s.watcher)),
      bindings_(s.bindings) {
    sigset_t set = handled_signals();
    signal_fd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    stop_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    for (const routing::rejected_row& r : s.rejected)
        last_rejected_.push_back(r.id + ": " + r.reason);
    stats_.rows_rejected = s.rejected.size();
}

control::~control() = default;

void control::stop() noexcept {
    std::uint64_t one = 1;
    (void)!::write(stop_fd_.get(), &one, sizeof(one));
}

void control::broadcast(worker_message::kind what) noexcept {
    for (worker* w : workers_) {
        worker_message m;
        m.what = what;
        // The inbox holds 64 messages and a worker empties it on every wake-up; a full inbox
        // means the worker is stuck, and retrying briefly is all we can do from here.
        for (int i = 0; i < 1000 && !w->post(m); ++i)
            usleep(1000);
    }
}

void control::on_signal() noexcept {
    signalfd_siginfo info{};
    while (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
        int sig = static_cast<int>(info.ssi_signo);
        if (sig == SIGHUP) {
            log::info("SIGHUP: checking routing.db now");
            reload();
            continue;
        }
        ++signals_seen_;
        if (signals_seen_ == 1) {
            log::info("{}: draining, live connections get up to {} ms", strsignal(sig),
                      cfg_.drain_timeout.count());
            draining_.store(true, std::memory_order_relaxed);
            broadcast(worker_message::kind::drain);
        } else {
            log::warn("{} again: stopping now", strsignal(sig));
            broadcast(worker_message::kind::stop);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// routing reloads

void control::log_rejected(const std::vector<routing::rejected_row>& rows) {
    std::vector<std::string> now;
    now.reserve(rows.size());
    for (const routing::rejected_row& r : rows)
        now.push_back(r.id + ": " + r.reason);
    if (now == last_rejected_) return;  // the same rows as last time: said already
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (std::find(last_rejected_.begin(), last_rejected_.end(), now[i]) == last_rejected_.end())
            log::warn("routing.db: row {} rejected: {}", rows[i].id, rows[i].reason);
    last_rejected_ = std::move(now);
}

void control::reload() noexcept {
    if (!watcher_ || !watcher_->poll()) return;
    auto r = routing::load_snapshot(load_, *registry_);
    if (!r) {
        ++stats_.reloads[1 + static_cast<std::size_t>(r.error().kind)];
        if (auto line = watcher_->on_load_failed(r.error()))
            log::error("routing.db: {}; keeping the table in force (v{}, {} backends)", *line,
                       snap_ ? snap_->version : 0, snap_ ? snap_->backends.size() : 0);
        return;
    }
    if (watcher_->on_load_succeeded()) log::info("routing.db readable again");
    ++stats_.reloads[0];
    stats_.rows_rejected = r->rejected.size();
    log_rejected(r->rejected);
    for (const std::string& w : r->warnings)
        log::warn("routing.db: {}", w);
    log::info("routing.db reloaded: v{}, {} backends, {} rows rejected", r->snap->version,
              r->snap->backends.size(), r->rejected.size());
    publish(std::move(r->snap));
}

void control::publish(routing::snapshot_ptr snap) noexcept {
    if (snap_) retired_.push_back(snap_);
    snap_ = snap;
    for (worker* w : workers_) {
        worker_message m;
        m.what = worker_message::kind::snapshot;
        m.snap = snap;
        for (int i = 0; i < 1000 && !w->post(m); ++i)
            usleep(1000);
    }
}

void control::retire() noexcept {
    if (retired_.empty()) return;
    std::uint64_t acked = snap_ ? snap_->version : 0;
    for (const worker* w : workers_)
        acked = std::min(acked, w->snapshot_version());
    // Every worker has swapped to `acked` or later: older tables are ours alone to free here,
    // off the workers' loops, and ids absent since then may give their slots back.
    bool freed = false;
    while (!retired_.empty() && retired_.front()->version < acked) {
        retired_.pop_front();
        freed = true;
    }
    if (freed && registry_) registry_->collect(acked);
}

// ---------------------------------------------------------------------------------------------

void control::render_metrics(std::string& out) const {
    std::vector<const worker_metrics*> ws;
    ws.reserve(workers_.size());
    for (const worker* w : workers_)
        ws.push_back(&w->metrics());
    routing_stats rs = stats_;
    rs.retired_snapshots = retired_.size();
    if (bindings_) {
        rs.bindings = bindings_->size();
        rs.binding_evictions = bindings_->evictions();
    }
    process_gauges g;
    g.workers = workers_.size();
    g.draining = draining();
    g.routing = &rs;
    render_prometheus(out, ws, snap_.get(), g);
}

void control::run() noexcept {
    log::set_thread_name("control");
    pollfd fds[3] = {{signal_fd_.get(), POLLIN, 0},
                     {stop_fd_.get(), POLLIN, 0},
                     {admin_ ? admin_->fd() : -1, POLLIN, 0}};
    const auto interval = static_cast<std::uint64_t>(cfg_.reload_interval.count());
    std::uint64_t next_reload = monotonic_coarse_ms() + interval;
    for (;;) {
        std::uint64_t now = monotonic_coarse_ms();
        // Wake at the next reload check, sooner while old snapshots wait to be freed.
        int timeout = next_reload > now ? static_cast<int>(next_reload - now) : 0;
        if (!retired_.empty()) timeout = std::min(timeout, 20);
        int n = ::poll(fds, 3, timeout);
        if (n < 0 && errno != EINTR) {
            log::error("control poll: {}", std::strerror(errno));
            return;
        }
        if (fds[1].revents) return;
        if (fds[0].revents) on_signal();
        if (admin_ && fds[2].revents)
            admin_->serve_ready([this](std::string& out) { render_metrics(out); },
                                [this] { return !draining(); });
        now = monotonic_coarse_ms();
        if (now >= next_reload) {
            next_reload = now + interval;
            if (!draining()) reload();
            if (bindings_) bindings_->sweep(now, 4096);
        }
        retire();
    }
}

}  // namespace edge::engine
