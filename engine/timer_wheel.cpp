#include "engine/timer_wheel.hpp"

#include <sys/mman.h>

#include <bit>
#include <cstring>

namespace edge::engine {

void timer_wheel::unmap::operator()(void* p) const noexcept {
    if (p != nullptr) munmap(p, len);
}

result<timer_wheel> timer_wheel::create(std::uint32_t capacity, std::uint32_t buckets) noexcept {
    if (!std::has_single_bit(buckets)) return unexpected(std::errc::invalid_argument);
    std::size_t links_bytes = sizeof(link) * std::size_t(capacity);
    std::size_t len = links_bytes + sizeof(std::uint32_t) * buckets;
    // Untouched pages of a fresh anonymous mapping read as zero, which is an unscheduled link:
    // a worker with a large capacity pays memory only for the links it uses.
    void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return unexpected(std::errc(errno));
    timer_wheel w;
    w.map_ = std::unique_ptr<void, unmap>(m, unmap{len});
    w.links_ = static_cast<link*>(m);
    w.heads_ = reinterpret_cast<std::uint32_t*>(static_cast<char*>(m) + links_bytes);
    std::memset(w.heads_, 0xff, sizeof(std::uint32_t) * buckets);
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
