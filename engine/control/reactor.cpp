#include "engine/control/reactor.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>

#include "engine/uring/clock.hpp"

namespace edge::engine {

result<reactor> reactor::create() noexcept {
    reactor r;
    auto fd = unique_fd::from_syscall(epoll_create1(EPOLL_CLOEXEC));
    if (!fd) return unexpected(fd.error());
    r.epoll_ = std::move(*fd);
    return r;
}

result<void> reactor::watch(int fd, std::uint32_t events, fd_handler h) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    bool known = fds_.count(fd) != 0;
    if (epoll_ctl(epoll_.get(), known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
        return errno_error();
    fds_[fd] = std::move(h);
    return {};
}

result<void> reactor::modify(int fd, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) < 0) return errno_error();
    return {};
}

void reactor::unwatch(int fd) noexcept {
    if (fds_.erase(fd) != 0) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

reactor::timer_id reactor::at(std::uint64_t deadline_ms, timer_handler h) {
    timer_id id = next_id_++;
    timers_.emplace(deadline_ms, std::make_pair(id, std::move(h)));
    return id;
}

void reactor::cancel(timer_id id) noexcept {
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
        if (it->second.first == id) {
            timers_.erase(it);
            return;
        }
}

bool reactor::run_once(int max_wait_ms) {
    int timeout = max_wait_ms;
    if (!timers_.empty()) {
        std::uint64_t now = monotonic_coarse_ms();
        std::uint64_t first = timers_.begin()->first;
        int until = first > now ? static_cast<int>(std::min<std::uint64_t>(first - now, 60000)) : 0;
        timeout = timeout < 0 ? until : std::min(timeout, until);
    }
    epoll_event events[32];
    int n = epoll_wait(epoll_.get(), events, 32, timeout);
    if (n < 0 && errno != EINTR) return false;
    for (int i = 0; i < n; ++i) {
        // A handler may unwatch (and close) another fd of this batch: look each up afresh.
        auto it = fds_.find(events[i].data.fd);
        if (it == fds_.end()) continue;
        fd_handler h = it->second;  // a copy: the handler may unwatch itself
        h(events[i].events);
    }
    std::uint64_t now = monotonic_coarse_ms();
    while (!timers_.empty() && timers_.begin()->first <= now) {
        timer_handler h = std::move(timers_.begin()->second.second);
        timers_.erase(timers_.begin());
        h();
    }
    return true;
}

void reactor::run() {
    while (!stopped_)
        if (!run_once()) return;
}

}  // namespace edge::engine
