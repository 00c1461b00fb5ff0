#include "engine/control.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstring>

#include "base/log.hpp"
#include "engine/metrics.hpp"

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
      snap_(std::move(s.snapshot)) {
    sigset_t set = handled_signals();
    signal_fd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    stop_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
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
            log::info("SIGHUP: routing.db is re-read on its own schedule; nothing to do");
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

void control::render_metrics(std::string& out) const {
    std::vector<const worker_metrics*> ws;
    ws.reserve(workers_.size());
    for (const worker* w : workers_)
        ws.push_back(&w->metrics());
    process_gauges g;
    g.workers = workers_.size();
    g.draining = draining();
    render_prometheus(out, ws, snap_.get(), g);
}

void control::run() noexcept {
    log::set_thread_name("control");
    pollfd fds[3] = {{signal_fd_.get(), POLLIN, 0},
                     {stop_fd_.get(), POLLIN, 0},
                     {admin_ ? admin_->fd() : -1, POLLIN, 0}};
    for (;;) {
        int n = ::poll(fds, 3, 1000);
        if (n < 0 && errno != EINTR) {
            log::error("control poll: {}", std::strerror(errno));
            return;
        }
        if (fds[1].revents) return;
        if (fds[0].revents) on_signal();
        if (admin_ && fds[2].revents)
            admin_->serve_ready([this](std::string& out) { render_metrics(out); },
                                [this] { return !draining(); });
    }
}

}  // namespace edge::engine
