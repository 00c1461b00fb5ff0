#include "tools/edge_load/buf_pool.hpp"

#include <stdexcept>

namespace edge::load {

buf_pool::buf_pool(ring& r, std::uint16_t group, unsigned count, unsigned size)
    : ring_(r), group_(group), count_(count), size_(size) {
    if (count == 0 || (count & (count - 1)) || count > 32768)
        throw std::invalid_argument("buf_pool: count must be a power of two <= 32768");
    mem_ = std::make_unique<std::byte[]>(std::size_t(count) * size);
    br_ = ring_.register_buf_ring(group, count);
    for (unsigned i = 0; i < count; ++i)
        ring::buf_ring_add(br_, count_, data(std::uint16_t(i)), size_, std::uint16_t(i), i);
    ring::buf_ring_advance(br_, count);
}

buf_pool::~buf_pool() {
    ring_.unregister_buf_ring(group_);
}

void buf_pool::give_back(std::uint16_t bid) noexcept {
    ring::buf_ring_add(br_, count_, data(bid), size_, bid, staged_++);
    --in_use_;
}

void buf_pool::flush() noexcept {
    if (staged_ == 0) return;
    ring::buf_ring_advance(br_, staged_);
    staged_ = 0;
}

}  // namespace edge::load
