#include "wg/random.hpp"

#include <cstring>

#include "wg/crypto/chacha20.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg {

random_source::random_source(const key& seed) noexcept : key_(seed) {}

random_source::~random_source() {
    crypto::secure_wipe(std::span(key_));
    crypto::secure_wipe(std::span(buf_));
}

void random_source::refill() noexcept {
    // 288 bytes of keystream: the first 32 become the next key, the rest are handed out.
    std::array<std::uint8_t, 32 + 256> stream{};
    static constexpr std::array<std::uint8_t, 12> k_nonce{};
    crypto::chacha20_xor(stream, stream, key_, k_nonce, 0);
    std::memcpy(key_.data(), stream.data(), 32);
    std::memcpy(buf_.data(), stream.data() + 32, buf_.size());
    crypto::secure_wipe(std::span(stream));
    used_ = 0;
}

void random_source::fill(std::span<std::uint8_t> out) noexcept {
    for (std::size_t done = 0; done < out.size();) {
        if (used_ == buf_.size()) refill();
        std::size_t n = std::min(out.size() - done, buf_.size() - used_);
        std::memcpy(out.data() + done, buf_.data() + used_, n);
        crypto::secure_wipe(buf_.data() + used_, n);
        used_ += n;
        done += n;
    }
}

std::uint32_t random_source::next_u32() noexcept {
    std::array<std::uint8_t, 4> b{};
    fill(b);
    return std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 | std::uint32_t(b[2]) << 16 |
           std::uint32_t(b[3]) << 24;
}

std::uint64_t random_source::below(std::uint64_t n) noexcept {
    // Rejection sampling keeps the result uniform for any n.
    const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n);
    for (;;) {
        std::array<std::uint8_t, 8> b{};
        fill(b);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= std::uint64_t(b[i]) << (8 * i);
        if (v < limit) return v % n;
    }
}

}  // namespace edge::wg
