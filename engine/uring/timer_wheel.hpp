#pragma once
// A hashed timer wheel for a worker's deadlines (idle, header, drain): ids are small integers
// (a component's slots, offset into its range). Ticks are coarse (the worker's tick, 100 ms by
// default); a deadline beyond one turn of the wheel stays in its bucket and is passed over until
// its turn comes. Links live in an array indexed by id, so scheduling, re-scheduling and
// cancelling are O(1) with no allocation. Single thread (its worker).

#include <cstdint>
#include <vector>

#include "base/result.hpp"
#include "engine/uring/mmap_array.hpp"

namespace edge::engine {

class timer_wheel {
  public:
    static constexpr std::uint32_t none = ~std::uint32_t{0};

    /// A wheel for ids below `capacity` with `buckets` buckets (a power of two). Start-up.
    static result<timer_wheel> create(std::uint32_t capacity,
                                      std::uint32_t buckets = 1024) noexcept;

    timer_wheel(timer_wheel&&) noexcept = default;
    timer_wheel& operator=(timer_wheel&&) noexcept = default;
    ~timer_wheel();

    /// (Re)schedules `id` to expire at tick `deadline`; a deadline in the past fires on the next
    /// advance.
    void schedule(std::uint32_t id, std::uint64_t deadline) noexcept;
    /// Removes `id` if scheduled.
    void cancel(std::uint32_t id) noexcept;
    bool is_scheduled(std::uint32_t id) const noexcept { return links_[id].bucket1 != 0; }
    std::uint64_t deadline(std::uint32_t id) const noexcept { return links_[id].deadline; }
    std::uint32_t size() const noexcept { return size_; }
    /// Ids below this can be scheduled.
    std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(links_.size()); }
    std::uint64_t now() const noexcept { return now_; }

    /// Moves the wheel to tick `now`, calling on_expire(id) for every id whose deadline has come,
    /// after unlinking it (so the callback may schedule it again).
    template <class F>
    void advance(std::uint64_t now, F&& on_expire);

  private:
    struct link {
        std::uint32_t prev;
        std::uint32_t next;
        std::uint32_t bucket1;  // bucket + 1; 0 = not scheduled, so fresh zero pages need no set-up
        std::uint64_t deadline;
    };
    timer_wheel() = default;
    void unlink(std::uint32_t id) noexcept;

    mmap_array<link> links_;            // by id; a zero link is unscheduled
    std::vector<std::uint32_t> heads_;  // by bucket
    std::uint32_t mask_ = 0;
    std::uint32_t size_ = 0;
    std::uint64_t now_ = 0;
};

// ---- inline definitions ----

template <class F>
void timer_wheel::advance(std::uint64_t now, F&& on_expire) {
    if (now < now_) return;
    // Visit each bucket between the last tick and now once; a long pause visits each at most once.
    std::uint64_t first = now_ + 1;
    std::uint64_t steps = now - now_;
    if (steps > mask_ + 1) steps = mask_ + 1;
    now_ = now;
    for (std::uint64_t t = 0; t < steps && size_ > 0; ++t) {
        std::uint32_t b = static_cast<std::uint32_t>((first + t) & mask_);
        std::uint32_t id = heads_[b];
        while (id != none) {
            std::uint32_t next = links_[id].next;
            if (links_[id].deadline <= now) {
                unlink(id);
                on_expire(id);
            }
            id = next;
        }
    }
}

}  // namespace edge::engine
