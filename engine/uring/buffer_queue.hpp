#pragma once
// Relay buffers: the worker's provided-buffer pool (buf_ring, ids [0, pool)) and a spill area of
// the same buffer size in plain memory (ids [pool, pool + spill)), one id space, with the links
// and lengths that queue them in arrival order. A buffer_queue is one direction's FIFO of ids; it
// is changed only through the buffer_store, which owns the links.
//
// Why a spill area: the pool is shared by every connection of the worker and the kernel fills it
// for whichever receive is armed. Bytes that wait for a slow reader pin pool buffers; enough slow
// readers would pin them all and starve every other connection (ENOBUFS). When the pool runs low,
// the owner moves the queued bytes of its slowest directions into spill buffers and gives the
// pool buffers back (spill()), so the pool always has room for new and well-behaved connections.
// Spill memory is reserved once, MAP_NORESERVE: it costs resident memory only while used.
//
// Ownership rule (buf_ring.hpp): a pool id belongs to the kernel until a receive CQE hands it to
// one queue; it returns to the pool when the bytes in it have been sent or dropped. A spill id
// belongs to the store's free list until spill() puts it in a queue, and returns to the free list
// the same way. Single thread (the worker's).

#include <sys/uio.h>

#include <cstdint>
#include <memory>

#include "base/result.hpp"
#include "engine/uring/buf_ring.hpp"

namespace edge::engine {

/// One direction's queue of buffers, oldest first.
struct buffer_queue {
    static constexpr std::uint16_t none = 0xffff;

    std::uint16_t head = none;
    std::uint16_t tail = none;
    std::uint16_t count = 0;        // buffers queued
    std::uint16_t pool_count = 0;   // of which pool buffers (the rest are spill buffers)
    std::uint32_t head_offset = 0;  // bytes of the head buffer already sent (or skipped)
    std::uint32_t bytes = 0;        // bytes queued and not yet sent

    bool empty() const noexcept { return count == 0; }
};

class buffer_store {
  public:
    /// A store over `pool` with `spill_count` spill buffers (ids must fit 16 bits: pool + spill
    /// below 65535). Worker thread, at start.
    static result<buffer_store> create(buf_ring& pool, unsigned spill_count) noexcept;

    buffer_store(buffer_store&&) noexcept;
    buffer_store& operator=(buffer_store&&) = delete;
    ~buffer_store();

    unsigned buffer_size() const noexcept { return size_; }
    char* data(std::uint16_t id) const noexcept {
        return id < pool_count_ ? pool_->data(id)
                                : spill_base_ + std::size_t(id - pool_count_) * size_;
    }
    std::uint32_t length(std::uint16_t id) const noexcept { return len_[id]; }
    std::uint16_t next(std::uint16_t id) const noexcept { return next_[id]; }
    bool is_pool(std::uint16_t id) const noexcept { return id < pool_count_; }

    /// Queues the buffers a receive CQE handed over: `bytes` starting at pool buffer `first`
    /// (a bundle spans consecutive ring entries; only the last may be partial). Returns the
    /// number of buffers taken.
    unsigned append_received(buffer_queue& q, std::uint16_t first, std::uint32_t bytes) noexcept;

    /// Fills up to `max` iovecs with the queue's bytes from its head; returns how many.
    unsigned gather(const buffer_queue& q, iovec* iov, unsigned max) const noexcept;

    /// Retires `sent` bytes from the head: whole buffers go back to where they came from, a
    /// partial one keeps an offset.
    void consume(buffer_queue& q, std::uint32_t sent) noexcept;

    /// Skips `n` bytes at the head (a PROXY header that is not payload); same as consume().
    void skip(buffer_queue& q, std::uint32_t n) noexcept { consume(q, n); }

    /// Gives back every buffer after the first `keep` (those a send in flight still reads).
    void drop(buffer_queue& q, unsigned keep = 0) noexcept;

    /// Moves the head's bytes and the following buffers' bytes into the head buffer until it
    /// holds `want` bytes or the queue is exhausted (a PROXY header split over receives); frees
    /// emptied buffers. The head must not be covered by a send in flight.
    void compact_head(buffer_queue& q, std::uint32_t want) noexcept;

    /// Copies the queue's pool buffers after the first `keep` into spill buffers and gives the
    /// pool buffers back. Stops when the spill area is exhausted; returns the pool buffers
    /// freed.
    unsigned spill(buffer_queue& q, unsigned keep) noexcept;

    unsigned spill_capacity() const noexcept { return spill_count_; }
    unsigned spill_free() const noexcept { return spill_top_; }
    unsigned spill_used() const noexcept { return spill_count_ - spill_top_; }
    buf_ring& pool() noexcept { return *pool_; }
    const buf_ring& pool() const noexcept { return *pool_; }

  private:
    buffer_store() = default;
    void link_tail(buffer_queue& q, std::uint16_t id, std::uint32_t len) noexcept;
    void release(std::uint16_t id) noexcept;  // back to the pool or the spill free list

    buf_ring* pool_ = nullptr;
    unsigned pool_count_ = 0;
    unsigned spill_count_ = 0;
    unsigned size_ = 0;
    std::unique_ptr<std::uint16_t[]> next_;        // by id: the next id in its queue
    std::unique_ptr<std::uint32_t[]> len_;         // by id: bytes received into it
    std::unique_ptr<std::uint16_t[]> spill_free_;  // stack of free spill ids
    unsigned spill_top_ = 0;
    char* spill_base_ = nullptr;
    std::size_t spill_map_len_ = 0;
};

}  // namespace edge::engine
