#pragma once
// The control thread's reactor: a small epoll loop over registered sources (signals, the stop
// event, the admin listener and its clients, the loader thread's results, …) and deadline
// callbacks. A handler never blocks: work that can (SQLite, DNS, opening a GeoIP file) runs on
// the loader thread and comes back as an event. Control thread only.

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

class reactor {
  public:
    /// Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLHUP…) that fired.
    using fd_handler = std::function<void(std::uint32_t events)>;
    using timer_handler = std::function<void()>;
    using timer_id = std::uint64_t;

    static result<reactor> create() noexcept;
    reactor(reactor&&) noexcept = default;
    reactor& operator=(reactor&&) noexcept = default;

    /// Watches `fd` for `events` (EPOLLIN, EPOLLOUT); replaces an earlier registration of it.
    result<void> watch(int fd, std::uint32_t events, fd_handler h);
    /// Changes the events a watched fd waits for.
    result<void> modify(int fd, std::uint32_t events);
    /// Stops watching `fd` (before it is closed).
    void unwatch(int fd) noexcept;

    /// Runs `h` once at `deadline_ms` (CLOCK_MONOTONIC_COARSE milliseconds).
    timer_id at(std::uint64_t deadline_ms, timer_handler h);
    void cancel(timer_id id) noexcept;

    /// Waits for events or the next deadline and runs their handlers; at most `max_wait_ms`
    /// (-1: until something happens). Returns false on an epoll error.
    bool run_once(int max_wait_ms = -1);
    /// run_once() until stop().
    void run();
    void stop() noexcept { stopped_ = true; }
    bool stopped() const noexcept { return stopped_; }

  private:
    reactor() = default;

    unique_fd epoll_;
    std::unordered_map<int, fd_handler> fds_;
    // deadline → (id, handler); ids tell apart timers with the same deadline.
    std::multimap<std::uint64_t, std::pair<timer_id, timer_handler>> timers_;
    timer_id next_id_ = 1;
    bool stopped_ = false;
};

}  // namespace edge::engine
