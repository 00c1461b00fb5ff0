#pragma once
// The worker's pool of receive buffers, shared by all its connections through one io_uring
// provided-buffer ring.
//
// Ownership rule: a buffer id belongs to the kernel while it sits in the ring. A receive CQE hands
// it (and, with bundles, the ring entries after it) to one connection direction, which queues it
// for sending. It goes back to the ring only when the send that carried it has completed (or the
// connection died and no send references it). What a receive that met an empty pool (ENOBUFS)
// waits for, and how the pool is kept from running empty, is the owner's policy
// (engine/tcp/buffer_pressure.cpp); this class only counts.

#include <cstdint>
#include <memory>

#include "base/result.hpp"

struct io_uring_buf_ring;

namespace edge::engine {

class ring;

class buf_ring {
  public:
    struct options {
        unsigned count = 512;     // power of two, at most 32768
        unsigned size = 16384;    // bytes per buffer
        std::uint16_t group = 0;  // buffer group id in this ring
    };

    /// Maps the buffers and the ring, registers it with `r`, and gives every buffer to the
    /// kernel. Worker thread, at start.
    static result<buf_ring> create(ring& r, const options& opts) noexcept;

    buf_ring(buf_ring&&) noexcept;
    buf_ring& operator=(buf_ring&&) = delete;
    ~buf_ring();

    char* data(std::uint16_t bid) const noexcept { return base_ + std::size_t(bid) * size_; }
    unsigned size() const noexcept { return size_; }
    unsigned count() const noexcept { return count_; }
    std::uint16_t group() const noexcept { return group_; }

    /// The id of the i-th buffer of a bundle that starts at `first` (i = 0 is `first`): a bundle
    /// takes consecutive ring entries, whatever ids they hold.
    std::uint16_t nth_of_bundle(std::uint16_t first, unsigned i) const noexcept {
        return bid_at_pos_[(pos_of_[first] + i) & mask_];
    }
    /// Records that a receive CQE handed `n` buffers to the worker.
    void on_taken(unsigned n) noexcept { held_ += n; }
    /// Returns one buffer to the kernel; visible to it after the next publish().
    void give_back(std::uint16_t bid) noexcept;
    /// Makes the buffers given back since the last call visible to the kernel (one store).
    void publish() noexcept;

    /// Buffers the worker holds (queued or being sent).
    unsigned held() const noexcept { return held_; }
    /// Buffers in the kernel's hands (free to receive into), counting those given back but not
    /// yet published.
    unsigned free_count() const noexcept { return count_ - held_; }

  private:
    buf_ring() = default;
    void add(std::uint16_t bid) noexcept;

    // Hot: touched on every receive and send completion.
    io_uring_buf_ring* br_ = nullptr;
    char* base_ = nullptr;
    std::uint16_t* bid_at_pos_ = nullptr;  // ring position (masked) → buffer id
    std::uint16_t* pos_of_ = nullptr;      // buffer id → ring position it was last added at
    unsigned size_ = 0;
    unsigned count_ = 0;
    unsigned mask_ = 0;
    unsigned held_ = 0;
    std::uint16_t tail_ = 0;  // our view of the ring tail, including unpublished adds
    unsigned unpublished_ = 0;

    // Cold: set-up and teardown.
    alignas(64) ring* ring_ = nullptr;
    std::uint16_t group_ = 0;
    std::size_t map_len_ = 0;
    void* map_ = nullptr;
    std::unique_ptr<std::uint16_t[]> index_mem_;
};

}  // namespace edge::engine
