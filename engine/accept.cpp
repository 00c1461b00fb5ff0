// Accepting clients: a worker's listeners, its connection limit, descriptor exhaustion and the
// start of a drain.
//
// Each listener is accepted from by one multishot accept while the worker has room for more
// clients than a listen backlog holds: one multishot burst takes at most the backlog, so it
// cannot pass the limit. Closer to the limit the worker switches to a few single-shot accepts,
// each taking exactly one client, and at the limit it takes none: clients then wait in the
// kernel's backlog (not reset) until a connection ends. Every proxied connection needs a second
// descriptor for its backend; accepting clients we could not connect would only reject them.

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "engine/worker.hpp"

namespace edge::engine {

namespace {

// The generation field of an accept tag says which kind of accept it was.
constexpr std::uint32_t multishot_accept = 0;
constexpr std::uint32_t single_accept = 1;
constexpr unsigned max_single_accepts = 4;

}  // namespace

bool worker::accepting() const noexcept {
    return !draining_ && !accept_paused_ && !accept_full_;
}

std::uint32_t worker::accept_headroom() const noexcept {
    return conns_->used() >= conn_limit_ ? 0 : conn_limit_ - conns_->used();
}

void worker::arm_accept(std::uint32_t i) noexcept {
    listener_state& l = listeners_[i];
    if (!l.fd || !accepting()) return;
    std::uint32_t headroom = accept_headroom();
    if (headroom > cfg_.backlog + 64) {
        if (!l.multishot) {
            ring_->prep_multishot_accept(l.fd.get(), make_tag(op::accept, i, multishot_accept));
            l.multishot = true;
        }
        return;
    }
    if (l.multishot) {
        // Too close to the limit for a burst: end it; its final CQE arms single-shot accepts.
        ring_->prep_cancel(make_tag(op::accept, i, multishot_accept), make_tag(op::cancel, i, 0));
        return;
    }
    unsigned want = std::min<std::uint32_t>(headroom, max_single_accepts);
    while (l.single < want) {
        ring_->prep_accept(l.fd.get(), make_tag(op::accept, i, single_accept));
        ++l.single;
    }
}

void worker::cancel_accepts(std::uint32_t i) noexcept {
    listener_state& l = listeners_[i];
    if (l.multishot)
        ring_->prep_cancel(make_tag(op::accept, i, multishot_accept), make_tag(op::cancel, i, 0));
    if (l.single > 0)
        ring_->prep_cancel(make_tag(op::accept, i, single_accept), make_tag(op::cancel, i, 0),
                           true);
}

void worker::resume_accepts() noexcept {
    for (std::uint32_t i = 0; i < listeners_.size(); ++i)
        arm_accept(i);
}

void worker::on_accept(std::uint32_t i, const completion& c, std::uint32_t kind) noexcept {
    listener_state& l = listeners_[i];
    if (kind == multishot_accept) {
        if (!c.has_more()) l.multishot = false;
    } else if (l.single > 0) {
        --l.single;
    }
    if (c.res >= 0) {
        if (accept_error_logged_) {
            log::info("accepting again");
            accept_error_logged_ = false;
        }
        // Also while draining: the client completed its handshake before the listener closed.
        start_conn(c.res, l.proxy_protocol);
    } else if (c.res == -ECANCELED) {
        // Ours: the limit, the switch to single-shot accepts, or a drain.
    } else if (c.res == -EMFILE || c.res == -ENFILE || c.res == -ENOBUFS || c.res == -ENOMEM) {
        int err = -c.res;
        bool fds = err == EMFILE || err == ENFILE;
        metrics_.accept_errors[std::size_t(fds ? accept_error::fd_limit : accept_error::memory)]
            .add();
        if (!accept_error_logged_) {
            log::warn(
                "accept: {} ({}); pausing accepts until {} free up, connections already open "
                "keep flowing",
                std::strerror(err), fds ? "out of file descriptors" : "out of memory",
                fds ? "descriptors" : "resources");
            accept_error_logged_ = true;
        }
        accept_paused_ = true;
        cancel_accepts(i);
        if (!accept_retry_armed_) {
            ring_->prep_timeout(&accept_retry_ts_, make_tag(op::accept_retry, 0, 0));
            accept_retry_armed_ = true;
        }
    } else {
        // ECONNABORTED, EPERM (a firewall), EPROTO…: one client's problem, not the listener's.
        metrics_.accept_errors[std::size_t(accept_error::other)].add();
        log::debug("accept: {}", std::strerror(-c.res));
    }
    if (draining_) {
        if (!l.multishot && l.single == 0) close_listener(i);
        return;
    }
    arm_accept(i);
}

void worker::on_accept_retry() noexcept {
    accept_retry_armed_ = false;
    if (!accept_paused_ || draining_) return;
    accept_paused_ = false;
    resume_accepts();
}

void worker::on_conn_added() noexcept {
    if (draining_) return;
    if (conns_->used() >= conn_limit_) {
        if (accept_full_) return;
        accept_full_ = true;
        metrics_.accept_pauses.add();
        if (!accept_full_logged_) {
            log::warn(
                "connection limit reached ({} on this worker): new clients wait in the "
                "listen backlog until connections close (raise --max-conns or "
                "RLIMIT_NOFILE)",
                conn_limit_);
            accept_full_logged_ = true;
        }
        for (std::uint32_t i = 0; i < listeners_.size(); ++i)
            cancel_accepts(i);
        return;
    }
    // Approaching the limit: arm_accept ends multishot bursts in favour of single accepts.
    if (accept_headroom() <= cfg_.backlog + 64)
        for (std::uint32_t i = 0; i < listeners_.size(); ++i)
            if (listeners_[i].multishot) arm_accept(i);
}

void worker::on_conn_removed() noexcept {
    if (accept_full_ && conns_->used() < conn_limit_) {
        accept_full_ = false;
        resume_accepts();
    } else if (accepting()) {
        // A single-shot slot freed up, or a multishot may be affordable again.
        for (std::uint32_t i = 0; i < listeners_.size(); ++i)
            if (!listeners_[i].multishot && listeners_[i].single < max_single_accepts)
                arm_accept(i);
    }
}

void worker::start_drain() noexcept {
    if (draining_) return;
    draining_ = true;
    drain_deadline_ms_ = now_ms_ + static_cast<std::uint64_t>(cfg_.drain_timeout.count());
    // Cancel the accepts first: a pending accept keeps a closed listener alive. Each listener
    // closes when its last accept's final CQE has arrived (on_accept), after the clients already
    // queued on it have been taken.
    for (std::uint32_t i = 0; i < listeners_.size(); ++i) {
        if (listeners_[i].multishot || listeners_[i].single > 0)
            cancel_accepts(i);
        else
            close_listener(i);
    }
    log::info("draining: accepts stopped, {} connections open, up to {} ms to finish",
              conns_->used(), cfg_.drain_timeout.count());
}

void worker::close_listener(std::uint32_t i) noexcept {
    listener_state& l = listeners_[i];
    if (!l.fd) return;
    // Clients that completed the handshake are in the accept queue; close() would reset them.
    // Take as many as the limit allows (the rest are reset: with net.ipv4.tcp_migrate_req=1
    // the kernel moves them to another listener on the port instead, e.g. a new edgeproxy).
    int flags = fcntl(l.fd.get(), F_GETFL);
    if (flags >= 0) fcntl(l.fd.get(), F_SETFL, flags | O_NONBLOCK);
    while (accept_headroom() > 0) {
        int fd = ::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) break;
        start_conn(fd, l.proxy_protocol);
    }
    l.fd.reset();
}

}  // namespace edge::engine
