#pragma once
// xcore_queue<T>: a bounded single-producer/single-consumer queue between two threads (the control
// thread and one worker). Producer and consumer counters sit on separate cache lines so neither
// side's writes invalidate the other's line except when it actually hands over an item. It does
// not wake anybody: the producer pairs a successful push with the worker's wake-up (an eventfd
// the worker's ring reads), see engine/host/worker.hpp.

#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <optional>

namespace edge::engine {

template <class T>
class xcore_queue {
  public:
    /// Capacity is rounded up to a power of two.
    explicit xcore_queue(std::size_t capacity)
        : mask_(std::bit_ceil(capacity) - 1), items_(new T[mask_ + 1]) {}

    /// Producer thread only. False when full (the caller retries after the consumer catches up).
    bool push(T item) noexcept {
        std::size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail - head_cache_ > mask_) {
            head_cache_ = head_.load(std::memory_order_acquire);
            if (tail - head_cache_ > mask_) return false;
        }
        items_[tail & mask_] = std::move(item);
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

    /// Consumer thread only.
    std::optional<T> pop() noexcept {
        std::size_t head = head_.load(std::memory_order_relaxed);
        if (head == tail_cache_) {
            tail_cache_ = tail_.load(std::memory_order_acquire);
            if (head == tail_cache_) return std::nullopt;
        }
        T item = std::move(items_[head & mask_]);
        head_.store(head + 1, std::memory_order_release);
        return item;
    }

  private:
    const std::size_t mask_;
    std::unique_ptr<T[]> items_;
    // Sanctioned sharing (design §3): tail_ is written by the producer only and head_ by the
    // consumer only; each reads the other's with acquire, after its own cached copy runs out.
    alignas(64) std::atomic<std::size_t> tail_{0};
    std::size_t head_cache_ = 0;  // producer's copy of head_
    alignas(64) std::atomic<std::size_t> head_{0};
    std::size_t tail_cache_ = 0;  // consumer's copy of tail_
};

}  // namespace edge::engine
