#include "wg/staged_packets.hpp"

#include <cstring>

namespace edge::wg {

bool staged_packets::push(std::span<const std::uint8_t> packet) {
    if (capacity_ == 0) return false;
    if (bytes_.empty()) {
        bytes_.resize(capacity_ * max_size_);
        lengths_.resize(capacity_);
    }
    bool kept_all = true;
    if (count_ == capacity_) {
        pop();
        kept_all = false;
    }
    const std::size_t slot = (head_ + count_) % capacity_;
    const std::size_t n = std::min(packet.size(), max_size_);
    if (n > 0) std::memcpy(bytes_.data() + slot * max_size_, packet.data(), n);
    lengths_[slot] = n;
    ++count_;
    return kept_all;
}

std::span<const std::uint8_t> staged_packets::front() const noexcept {
    return {bytes_.data() + head_ * max_size_, lengths_[head_]};
}

void staged_packets::pop() noexcept {
    head_ = (head_ + 1) % capacity_;
    --count_;
}

}  // namespace edge::wg
