#pragma once
// Packets waiting for a handshake (whitepaper §6.2: data sent while no session exists is queued
// and sent once one does). Bounded: when full, the oldest packet is dropped and counted, as
// wireguard-go does, so a peer that never answers costs a fixed amount of memory. The storage is
// allocated the first time a peer stages anything and reused afterwards: no allocation per packet.
//
// Threading: part of a peer, owned by the control (handshake) thread.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace edge::wg {

class staged_packets {
  public:
    /// Room for `capacity` packets of up to `max_size` bytes each. Control thread.
    staged_packets(std::size_t capacity, std::size_t max_size) noexcept
        : capacity_(capacity), max_size_(max_size) {}

    /// Queues a copy of packet (at most max_size bytes); returns false when the oldest packet
    /// had to be dropped to make room. Control thread.
    bool push(std::span<const std::uint8_t> packet);
    /// The oldest packet (valid until the next push/pop); size() must be > 0. Control thread.
    std::span<const std::uint8_t> front() const noexcept;
    /// Removes the oldest packet. Control thread.
    void pop() noexcept;
    /// Drops everything (the memory stays for reuse). Control thread.
    void clear() noexcept { head_ = count_ = 0; }
    /// Packets queued, and the most bytes one may hold. Control thread.
    std::size_t size() const noexcept { return count_; }
    std::size_t max_size() const noexcept { return max_size_; }

  private:
    std::size_t capacity_, max_size_;
    std::vector<std::uint8_t> bytes_;  // capacity_ slots of max_size_ bytes
    std::vector<std::size_t> lengths_;
    std::size_t head_ = 0, count_ = 0;
};

}  // namespace edge::wg
