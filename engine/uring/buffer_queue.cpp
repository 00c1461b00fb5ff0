#include "engine/uring/buffer_queue.hpp"

#include <sys/mman.h>

#include <cstring>
#include <new>
#include <utility>

namespace edge::engine {

result<buffer_store> buffer_store::create(buf_ring& pool, unsigned spill_count) noexcept {
    if (std::size_t(pool.count()) + spill_count >= buffer_queue::none)
        return unexpected(std::errc::invalid_argument);
    buffer_store s;
    s.pool_ = &pool;
    s.pool_count_ = pool.count();
    s.spill_count_ = spill_count;
    s.size_ = pool.size();
    unsigned ids = s.pool_count_ + spill_count;
    s.next_.reset(new (std::nothrow) std::uint16_t[ids]);
    s.len_.reset(new (std::nothrow) std::uint32_t[ids]);
    s.spill_free_.reset(new (std::nothrow) std::uint16_t[spill_count ? spill_count : 1]);
    if (!s.next_ || !s.len_ || !s.spill_free_) return unexpected(std::errc::not_enough_memory);
    if (spill_count > 0) {
        s.spill_map_len_ = std::size_t(spill_count) * s.size_;
        void* m = mmap(nullptr, s.spill_map_len_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return errno_error();
        s.spill_base_ = static_cast<char*>(m);
    }
    // Highest id on top, so the first spills reuse the lowest ids: a small touched set.
    for (unsigned i = 0; i < spill_count; ++i)
        s.spill_free_[i] = static_cast<std::uint16_t>(s.pool_count_ + spill_count - 1 - i);
    s.spill_top_ = spill_count;
    return s;
}

buffer_store::buffer_store(buffer_store&& o) noexcept
    : pool_(o.pool_),
      pool_count_(o.pool_count_),
      spill_count_(o.spill_count_),
      size_(o.size_),
      next_(std::move(o.next_)),
      len_(std::move(o.len_)),
      spill_free_(std::move(o.spill_free_)),
      spill_top_(o.spill_top_),
      spill_base_(std::exchange(o.spill_base_, nullptr)),
      spill_map_len_(o.spill_map_len_) {}

buffer_store::~buffer_store() {
    if (spill_base_ != nullptr) munmap(spill_base_, spill_map_len_);
}

void buffer_store::link_tail(buffer_queue& q, std::uint16_t id, std::uint32_t len) noexcept {
    len_[id] = len;
    next_[id] = buffer_queue::none;
    if (q.tail == buffer_queue::none)
        q.head = id;
    else
        next_[q.tail] = id;
    q.tail = id;
    ++q.count;
    q.bytes += len;
}

void buffer_store::release(std::uint16_t id) noexcept {
    if (is_pool(id))
        pool_->give_back(id);
    else
        spill_free_[spill_top_++] = id;
}

unsigned buffer_store::append_received(buffer_queue& q, std::uint16_t first,
                                       std::uint32_t bytes) noexcept {
    unsigned n = (bytes + size_ - 1) / size_;
    pool_->on_taken(n);
    for (unsigned i = 0; i < n; ++i) {
        std::uint32_t len = bytes > size_ ? size_ : bytes;
        bytes -= len;
        link_tail(q, pool_->nth_of_bundle(first, i), len);
        ++q.pool_count;
    }
    return n;
}

unsigned buffer_store::gather(const buffer_queue& q, iovec* iov, unsigned max) const noexcept {
    unsigned k = 0;
    std::uint32_t offset = q.head_offset;
    for (std::uint16_t id = q.head; id != buffer_queue::none && k < max; id = next_[id]) {
        iov[k].iov_base = data(id) + offset;
        iov[k].iov_len = len_[id] - offset;
        offset = 0;
        ++k;
    }
    return k;
}

void buffer_store::consume(buffer_queue& q, std::uint32_t sent) noexcept {
    while (sent > 0 && q.head != buffer_queue::none) {
        std::uint16_t id = q.head;
        std::uint32_t left = len_[id] - q.head_offset;
        if (sent < left) {
            q.head_offset += sent;
            q.bytes -= sent;
            return;
        }
        sent -= left;
        q.bytes -= left;
        q.head_offset = 0;
        q.head = next_[id];
        if (q.head == buffer_queue::none) q.tail = buffer_queue::none;
        --q.count;
        if (is_pool(id)) --q.pool_count;
        release(id);
    }
}

void buffer_store::drop(buffer_queue& q, unsigned keep) noexcept {
    std::uint16_t id = q.head, last_kept = buffer_queue::none;
    std::uint32_t kept_bytes = 0;
    for (unsigned i = 0; i < keep && id != buffer_queue::none; ++i) {
        kept_bytes += len_[id] - (i == 0 ? q.head_offset : 0);
        last_kept = id;
        id = next_[id];
    }
    while (id != buffer_queue::none) {
        std::uint16_t next = next_[id];
        --q.count;
        if (is_pool(id)) --q.pool_count;
        release(id);
        id = next;
    }
    q.bytes = kept_bytes;
    if (last_kept == buffer_queue::none) {
        q.head = q.tail = buffer_queue::none;
        q.head_offset = 0;
    } else {
        next_[last_kept] = buffer_queue::none;
        q.tail = last_kept;
    }
}

void buffer_store::compact_head(buffer_queue& q, std::uint32_t want) noexcept {
    std::uint16_t head = q.head;
    if (head == buffer_queue::none) return;
    while (next_[head] != buffer_queue::none && len_[head] < want && len_[head] < size_) {
        std::uint16_t next = next_[head];
        std::uint32_t room = size_ - len_[head];
        std::uint32_t move = room < len_[next] ? room : len_[next];
        std::memcpy(data(head) + len_[head], data(next), move);
        std::memmove(data(next), data(next) + move, len_[next] - move);
        len_[head] += move;
        len_[next] -= move;
        if (len_[next] == 0) {
            next_[head] = next_[next];
            if (q.tail == next) q.tail = head;
            --q.count;
            if (is_pool(next)) --q.pool_count;
            release(next);
        }
    }
}

unsigned buffer_store::spill(buffer_queue& q, unsigned keep) noexcept {
    unsigned freed = 0;
    std::uint16_t prev = buffer_queue::none, id = q.head;
    for (unsigned i = 0; i < keep && id != buffer_queue::none; ++i) {
        prev = id;
        id = next_[id];
    }
    while (id != buffer_queue::none) {
        std::uint16_t next = next_[id];
        if (is_pool(id)) {
            if (spill_top_ == 0) break;
            std::uint16_t to = spill_free_[--spill_top_];
            // The head's already-sent prefix travels along: offsets stay valid.
            std::memcpy(data(to), data(id), len_[id]);
            len_[to] = len_[id];
            next_[to] = next;
            if (prev == buffer_queue::none)
                q.head = to;
            else
                next_[prev] = to;
            if (q.tail == id) q.tail = to;
            --q.pool_count;
            pool_->give_back(id);
            ++freed;
            id = to;
        }
        prev = id;
        id = next;
    }
    return freed;
}

}  // namespace edge::engine
