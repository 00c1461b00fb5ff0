#include "engine/tcp/accept_gate.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "engine/tcp/connection.hpp"
#include "engine/uring/op_tag.hpp"

namespace edge::engine {

namespace {

constexpr unsigned max_single_accepts = 4;

}  // namespace

accept_gate::accept_gate(worker_core& core, std::uint8_t family,
                         std::vector<listener_set::socket> sockets, listener_set* owner,
                         std::uint32_t conn_limit) noexcept
    : core_(core), family_(family), owner_(owner), limit_(conn_limit) {
    for (const listener_set::socket& s : sockets)
        listeners_.push_back(
            listener{s.fd, s.proxy_protocol, static_cast<std::uint16_t>(s.spec), false, 0, 1});
    retry_ts_.tv_nsec = 100 * 1000000;  // EMFILE/ENFILE: look again in 100 ms
}

std::uint64_t accept_gate::tag(std::uint32_t i, bool single) const noexcept {
    return op_tag{family_, static_cast<std::uint8_t>(tcp_op::accept),
                  static_cast<std::uint8_t>(single), i, listeners_[i].gen}
        .encode();
}

std::uint64_t accept_gate::cancel_tag() const noexcept {
    return op_tag{family_, static_cast<std::uint8_t>(tcp_op::cancel), 0, 0, 0}.encode();
}

void accept_gate::start() noexcept {
    core_.metrics().connection_limit.set(limit_);
    for (std::uint32_t i = 0; i < listeners_.size(); ++i)
        arm(i);
}

void accept_gate::arm(std::uint32_t i) noexcept {
    listener& l = listeners_[i];
    if (l.fd < 0 || !accepting()) return;
    std::uint32_t room = headroom();
    if (room > core_.cfg().backlog + 64) {
        if (!l.multishot) {
            core_.io().prep_multishot_accept(l.fd, tag(i, false));
            l.multishot = true;
        }
        return;
    }
    if (l.multishot) {
        // Too close to the limit for a burst: end it; its final CQE arms single-shot accepts.
        core_.io().prep_cancel(tag(i, false), cancel_tag());
        return;
    }
    unsigned want = std::min<std::uint32_t>(room, max_single_accepts);
    while (l.single < want) {
        core_.io().prep_accept(l.fd, tag(i, true));
        ++l.single;
    }
}

void accept_gate::cancel(std::uint32_t i) noexcept {
    listener& l = listeners_[i];
    if (l.multishot) core_.io().prep_cancel(tag(i, false), cancel_tag());
    if (l.single > 0) core_.io().prep_cancel(tag(i, true), cancel_tag(), true);
}

void accept_gate::resume() noexcept {
    for (std::uint32_t i = 0; i < listeners_.size(); ++i)
        arm(i);
}

void accept_gate::on_count(std::uint32_t used) noexcept {
    bool grew = used > used_;
    used_ = used;
    if (draining_) return;
    if (grew) {
        if (used_ >= limit_) {
            if (full_) return;
            full_ = true;
            core_.metrics().accept_pauses.add();
            if (!full_logged_) {
                log::warn(
                    "connection limit reached ({} on this worker): new clients wait in the "
                    "listen backlog until connections close (raise --max-conns or "
                    "RLIMIT_NOFILE)",
                    limit_);
                full_logged_ = true;
            }
            for (std::uint32_t i = 0; i < listeners_.size(); ++i)
                cancel(i);
            return;
        }
        // Approaching the limit: arm() ends multishot bursts in favour of single accepts.
        if (headroom() <= core_.cfg().backlog + 64)
            for (std::uint32_t i = 0; i < listeners_.size(); ++i)
                if (listeners_[i].multishot) arm(i);
        return;
    }
    if (full_ && used_ < limit_) {
        full_ = false;
        resume();
    } else if (accepting()) {
        // A single-shot slot freed up, or a multishot may be affordable again.
        for (std::uint32_t i = 0; i < listeners_.size(); ++i)
            if (!listeners_[i].multishot && listeners_[i].single < max_single_accepts) arm(i);
    }
}

void accept_gate::on_descriptor_freed() noexcept {
    // The accept SQE is queued after the close that frees the descriptor, so it runs after it.
    if (paused_ && !draining_) on_retry();
}

std::optional<accept_gate::accepted> accept_gate::on_accept(std::uint32_t i, std::uint32_t gen,
                                                            bool single,
                                                            const completion& c) noexcept {
    if (i >= listeners_.size() || listeners_[i].gen != gen) {
        // A listener released since: a client it still handed over is closed (nobody serves
        // it here); anything else is dropped.
        core_.metrics().stale_cqes.add();
        if (c.res >= 0) ::close(c.res);
        return std::nullopt;
    }
    listener& l = listeners_[i];
    if (!single) {
        if (!c.has_more()) l.multishot = false;
    } else if (l.single > 0) {
        --l.single;
    }
    std::optional<accepted> out;
    if (c.res >= 0) {
        if (error_logged_) {
            log::info("accepting again");
            error_logged_ = false;
        }
        // Also while draining: the client completed its handshake before the listener closed.
        out = accepted{c.res, l.proxy_protocol, l.spec};
    } else if (c.res == -ECANCELED) {
        // Ours: the limit, the switch to single-shot accepts, or a drain.
    } else if (c.res == -EMFILE || c.res == -ENFILE || c.res == -ENOBUFS || c.res == -ENOMEM) {
        int err = -c.res;
        bool fds = err == EMFILE || err == ENFILE;
        core_.metrics()
            .accept_errors[std::size_t(fds ? accept_error::fd_limit : accept_error::memory)]
            .add();
        if (!error_logged_) {
            log::warn(
                "accept: {} ({}); pausing accepts until {} free up, connections already open "
                "keep flowing",
                std::strerror(err), fds ? "out of file descriptors" : "out of memory",
                fds ? "descriptors" : "resources");
            error_logged_ = true;
        }
        paused_ = true;
        cancel(i);
        if (!retry_armed_) {
            core_.io().prep_timeout(
                &retry_ts_,
                op_tag{family_, static_cast<std::uint8_t>(tcp_op::accept_retry), 0, 0, 0}.encode());
            retry_armed_ = true;
        }
    } else {
        // ECONNABORTED, EPERM (a firewall), EPROTO…: one client's problem, not the listener's.
        core_.metrics().accept_errors[std::size_t(accept_error::other)].add();
        log::debug("accept: {}", std::strerror(-c.res));
    }
    if (!draining_) arm(i);
    return out;
}

void accept_gate::on_retry() noexcept {
    retry_armed_ = false;
    if (!paused_ || draining_) return;
    paused_ = false;
    resume();
}

bool accept_gate::closed() const noexcept {
    return std::all_of(listeners_.begin(), listeners_.end(),
                       [](const listener& l) { return l.fd < 0; });
}

int accept_gate::take_one(std::uint32_t i) noexcept {
    int fd = listeners_[i].fd;
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    return ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
}

void accept_gate::release(std::uint32_t i) noexcept {
    listener& l = listeners_[i];
    if (l.fd < 0) return;
    int fd = std::exchange(l.fd, -1);
    ++l.gen;
    if (owner_ != nullptr) owner_->release(fd);
}

}  // namespace edge::engine
