#include "engine/uring/timer_wheel.hpp"

#include <bit>

namespace edge::engine {

result<timer_wheel> timer_wheel::create(std::uint32_t capacity, std::uint32_t buckets) noexcept {
    if (!std::has_single_bit(buckets)) return unexpected(std::errc::invalid_argument);
    // Zero pages are unscheduled links: a worker with a large capacity pays memory only for the
    // links it uses.
    auto links = mmap_array<link>::create(capacity);
    if (!links) return unexpected(links.error());
    timer_wheel w;
    w.links_ = std::move(*links);
    w.heads_.assign(buckets, none);
    w.mask_ = buckets - 1;
    return w;
}

timer_wheel::~timer_wheel() = default;

void timer_wheel::schedule(std::uint32_t id, std::uint64_t deadline) noexcept {
    if (links_[id].bucket1 != 0) unlink(id);
    if (deadline <= now_) deadline = now_ + 1;
    std::uint32_t b = static_cast<std::uint32_t>(deadline & mask_);
    link& l = links_[id];
    l.deadline = deadline;
    l.bucket1 = b + 1;
    l.prev = none;
    l.next = heads_[b];
    if (l.next != none) links_[l.next].prev = id;
    heads_[b] = id;
    ++size_;
}

void timer_wheel::cancel(std::uint32_t id) noexcept {
    if (links_[id].bucket1 != 0) unlink(id);
}

void timer_wheel::unlink(std::uint32_t id) noexcept {
    link& l = links_[id];
    if (l.prev != none)
        links_[l.prev].next = l.next;
    else
        heads_[l.bucket1 - 1] = l.next;
    if (l.next != none) links_[l.next].prev = l.prev;
    l.bucket1 = 0;
    l.prev = l.next = none;
    --size_;
}

}  // namespace edge::engine
