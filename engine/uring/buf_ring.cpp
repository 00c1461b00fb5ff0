// Provided-buffer ring: one mapping holds the ring entries followed by the buffers.
// (This file, like ring.cpp, includes liburing: it owns the buffer ring's memory layout.)

#include "engine/uring/buf_ring.hpp"

#include <liburing.h>
#include <sys/mman.h>

#include <bit>
#include <cstring>
#include <utility>

#include "engine/uring/ring.hpp"

namespace edge::engine {

result<buf_ring> buf_ring::create(ring& r, const options& opts) noexcept {
    if (!std::has_single_bit(opts.count) || opts.count > 32768 || opts.size == 0 ||
        opts.size % 64 != 0)
        return unexpected(std::errc::invalid_argument);
    buf_ring b;
    b.ring_ = &r;
    b.group_ = opts.group;
    b.count_ = opts.count;
    b.mask_ = opts.count - 1;
    b.size_ = opts.size;
    std::size_t ring_bytes = (sizeof(io_uring_buf) * opts.count + 4095) & ~std::size_t(4095);
    b.map_len_ = ring_bytes + std::size_t(opts.count) * opts.size;
    // MAP_NORESERVE: buffers cost memory only once a receive touches them.
    b.map_ = mmap(nullptr, b.map_len_, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (b.map_ == MAP_FAILED) {
        b.map_ = nullptr;
        return unexpected(std::errc(errno));
    }
    b.br_ = static_cast<io_uring_buf_ring*>(b.map_);
    b.base_ = static_cast<char*>(b.map_) + ring_bytes;
    b.index_mem_.reset(new (std::nothrow) std::uint16_t[2 * std::size_t(opts.count)]);
    if (!b.index_mem_) return unexpected(std::errc::not_enough_memory);
    b.bid_at_pos_ = b.index_mem_.get();
    b.pos_of_ = b.index_mem_.get() + opts.count;
    io_uring_buf_ring_init(b.br_);
    if (auto rc = r.register_buf_ring(b.map_, opts.count, opts.group); !rc)
        return unexpected(rc.error());
    for (unsigned i = 0; i < opts.count; ++i)
        b.add(static_cast<std::uint16_t>(i));
    b.publish();
    return b;
}

buf_ring::buf_ring(buf_ring&& o) noexcept
    : br_(std::exchange(o.br_, nullptr)),
      base_(o.base_),
      bid_at_pos_(o.bid_at_pos_),
      pos_of_(o.pos_of_),
      size_(o.size_),
      count_(o.count_),
      mask_(o.mask_),
      held_(o.held_),
      tail_(o.tail_),
      unpublished_(o.unpublished_),
      ring_(o.ring_),
      group_(o.group_),
      map_len_(o.map_len_),
      map_(std::exchange(o.map_, nullptr)),
      index_mem_(std::move(o.index_mem_)) {}

buf_ring::~buf_ring() {
    if (map_ == nullptr) return;
    if (br_ != nullptr && ring_ != nullptr) ring_->unregister_buf_ring(group_);
    munmap(map_, map_len_);
}

void buf_ring::add(std::uint16_t bid) noexcept {
    std::uint16_t pos = static_cast<std::uint16_t>(tail_ + unpublished_);
    io_uring_buf* slot = &br_->bufs[pos & mask_];
    slot->addr = reinterpret_cast<std::uint64_t>(data(bid));
    slot->len = size_;
    slot->bid = bid;
    bid_at_pos_[pos & mask_] = bid;
    pos_of_[bid] = pos;
    ++unpublished_;
}

void buf_ring::give_back(std::uint16_t bid) noexcept {
    add(bid);
    --held_;
}

void buf_ring::publish() noexcept {
    if (unpublished_ == 0) return;
    tail_ = static_cast<std::uint16_t>(tail_ + unpublished_);
    // Release store: the entries above must be visible before the kernel sees the new tail.
    io_uring_smp_store_release(&br_->tail, tail_);
    unpublished_ = 0;
}

}  // namespace edge::engine
