#pragma once
// buf_pool: one provided-buffer ring per worker, shared by all its sockets' receives.
// Ownership rule: a buffer id belongs to the kernel until a receive completion hands it to the
// worker; the worker gives it back with give_back() as soon as it is done with the bytes (an echo
// keeps it until the send that carries it completes). give_back() only stages the id; flush()
// publishes the staged ids with one release store, once per completion batch.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "tools/edge_load/ring.hpp"

namespace edge::load {

class buf_pool {
  public:
    /// Registers `count` (a power of two, <= 32768) buffers of `size` bytes as group `group`.
    buf_pool(ring& r, std::uint16_t group, unsigned count, unsigned size);
    ~buf_pool();
    buf_pool(const buf_pool&) = delete;
    buf_pool& operator=(const buf_pool&) = delete;

    std::uint16_t group() const noexcept { return group_; }
    unsigned size() const noexcept { return size_; }
    unsigned count() const noexcept { return count_; }
    /// Buffers the worker holds (handed out by completions and not yet given back).
    unsigned in_use() const noexcept { return in_use_; }

    /// Notes that a completion handed buffer `bid` to the worker and returns its bytes.
    std::byte* take(std::uint16_t bid) noexcept {
        ++in_use_;
        return data(bid);
    }
    std::byte* data(std::uint16_t bid) noexcept { return mem_.get() + std::size_t(bid) * size_; }
    /// Stages `bid` for return to the kernel; the owning worker only.
    void give_back(std::uint16_t bid) noexcept;
    /// Publishes every staged buffer to the kernel.
    void flush() noexcept;

  private:
    ring& ring_;
    std::uint16_t group_;
    unsigned count_;
    unsigned size_;
    void* br_ = nullptr;
    std::unique_ptr<std::byte[]> mem_;
    unsigned staged_ = 0;
    unsigned in_use_ = 0;
};

}  // namespace edge::load
