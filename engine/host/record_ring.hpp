#pragma once
// record_ring: one worker's bounded queue of finished-connection records for the access log
// thread. The worker claims a slot, fills it in place and publishes it; when the ring is full
// (the log thread is behind: a slow disk, a pipe nobody reads) the record is dropped and counted
// instead, so a worker never waits for the log. Storage is reserved once at start-up and touched
// as it is used.

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "base/result.hpp"
#include "engine/host/access_record.hpp"
#include "engine/host/metrics.hpp"
#include "engine/uring/mmap_array.hpp"

namespace edge::engine {

class record_ring {
  public:
    /// Reserves room for `capacity` records (rounded up to a power of two). Start-up.
    static result<record_ring> create(std::size_t capacity) noexcept;

    record_ring(record_ring&&) noexcept;
    record_ring& operator=(record_ring&&) = delete;
    record_ring(const record_ring&) = delete;
    record_ring& operator=(const record_ring&) = delete;

    // ---- producer: the worker thread ----

    /// A slot to fill, or null when the ring is full (the record is counted as dropped).
    access_record* claim() noexcept {
        std::size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail - head_cache_ > mask_) {
            head_cache_ = head_.load(std::memory_order_acquire);
            if (tail - head_cache_ > mask_) {
                dropped_.add();
                return nullptr;
            }
        }
        return &slots_[tail & mask_];
    }
    /// Hands the slot claim() returned to the log thread.
    void publish() noexcept {
        tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    // ---- consumer: the log thread ----

    /// Calls `f(const access_record&)` for up to `max` published records, oldest first, and
    /// frees their slots; returns how many.
    template <class F>
    std::size_t consume(std::size_t max, F&& f) {
        std::size_t head = head_.load(std::memory_order_relaxed);
        std::size_t tail = tail_.load(std::memory_order_acquire);
        std::size_t n = tail - head < max ? tail - head : max;
        for (std::size_t i = 0; i < n; ++i)
            f(static_cast<const access_record&>(slots_[(head + i) & mask_]));
        head_.store(head + n, std::memory_order_release);
        return n;
    }
    /// Records waiting now (an estimate from another thread). Log thread.
    std::size_t pending() const noexcept {
        return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_relaxed);
    }

    // ---- any thread ----

    std::size_t capacity() const noexcept { return mask_ + 1; }
    /// Records dropped because the ring was full.
    std::uint64_t dropped() const noexcept { return dropped_.get(); }

  private:
    record_ring(mmap_array<access_record> slots, std::size_t mask) noexcept
        : slots_(std::move(slots)), mask_(mask) {}

    mmap_array<access_record> slots_;
    std::size_t mask_;
    // Sanctioned sharing (design §3): an SPSC ring per worker read by the access log thread.
    // tail_ (and the slots up to it) are written by the worker only and published with release;
    // head_ by the log thread only, published with release once it has finished reading the
    // slots it frees. Each side caches the other's index to touch the shared line rarely.
    alignas(64) std::atomic<std::size_t> tail_{0};
    std::size_t head_cache_ = 0;  // worker's copy of head_
    counter dropped_;             // written by the worker, read by the scrape
    alignas(64) std::atomic<std::size_t> head_{0};
};

// ---- inline definitions ----

inline result<record_ring> record_ring::create(std::size_t capacity) noexcept {
    std::size_t n = std::bit_ceil(capacity < 2 ? std::size_t(2) : capacity);
    auto slots = mmap_array<access_record>::create(n);
    if (!slots) return unexpected(slots.error());
    return record_ring(std::move(*slots), n - 1);
}

inline record_ring::record_ring(record_ring&& o) noexcept
    : slots_(std::move(o.slots_)),
      mask_(o.mask_),
      tail_(o.tail_.load(std::memory_order_relaxed)),
      head_cache_(o.head_cache_),
      head_(o.head_.load(std::memory_order_relaxed)) {
    dropped_.set(o.dropped_.get());
}

}  // namespace edge::engine
