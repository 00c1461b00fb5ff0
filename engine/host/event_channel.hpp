#pragma once
// event_channel<T>: a worker's channel to the control thread, the reverse of its inbox: an SPSC
// queue the worker fills and the control thread empties, plus an eventfd the control thread's
// reactor watches. The worker rings it through its own ring (a write SQE batched with the rest),
// so waking the control thread costs the worker no syscall of its own.

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <optional>

#include "base/unique_fd.hpp"
#include "engine/uring/xcore_queue.hpp"

namespace edge::engine {

template <class T>
class event_channel {
  public:
    explicit event_channel(std::size_t capacity)
        : queue_(capacity), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

    /// Queues an event; false when full (the caller counts the drop). Worker thread.
    bool push(T event) noexcept { return queue_.push(std::move(event)); }
    /// The eventfd: the worker writes `one()` to it through its ring, the control thread's
    /// reactor watches it. Any thread (immutable).
    int wake_fd() const noexcept { return wake_.get(); }
    /// The 8 bytes a write to wake_fd() carries; valid for the channel's life.
    const std::uint64_t* one() const noexcept { return &one_; }
    /// The next event. Control thread.
    std::optional<T> pop() noexcept { return queue_.pop(); }
    /// Clears the eventfd's count after a wake-up. Control thread.
    void acknowledge() noexcept {
        std::uint64_t n;
        (void)!::read(wake_.get(), &n, sizeof n);
    }

  private:
    xcore_queue<T> queue_;
    unique_fd wake_;
    const std::uint64_t one_ = 1;
};

}  // namespace edge::engine
