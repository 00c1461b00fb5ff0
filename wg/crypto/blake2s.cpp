// BLAKE2s (RFC 7693): the parameter block reduced to its first word (§2.5: digest length, key
// length, fanout 1, depth 1), keyed hashing by prefixing the zero-padded key as a full block
// (§3.3), and a compression function (§3.2) that only ever sees a block once it is known
// whether more input follows, because the last block carries the final flag. Handshake-only
// work (a few hundred bytes per handshake), so one portable path serves every CPU.

#include "wg/crypto/blake2s.hpp"

#include <cstring>

#include "wg/crypto/detail/bytes.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto {
namespace {

using detail::load32_le;

constexpr std::uint32_t k_iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// Message word schedule, RFC 7693 §2.7.
constexpr std::uint8_t k_sigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

inline std::uint32_t rotr(std::uint32_t v, int n) noexcept {
    return (v >> n) | (v << (32 - n));
}

// The mixing function G, RFC 7693 §3.1, with BLAKE2s's rotations 16, 12, 8, 7.
inline void mix(std::uint32_t v[16], int a, int b, int c, int d, std::uint32_t x,
                std::uint32_t y) noexcept {
    v[a] = v[a] + v[b] + x;
    v[d] = rotr(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = rotr(v[b] ^ v[c], 12);
    v[a] = v[a] + v[b] + y;
    v[d] = rotr(v[d] ^ v[a], 8);
    v[c] = v[c] + v[d];
    v[b] = rotr(v[b] ^ v[c], 7);
}

}  // namespace

blake2s::blake2s(std::size_t digest_size, std::span<const std::uint8_t> key) noexcept
    : digest_size_(digest_size) {
    EDGE_CRYPTO_EXPECTS(digest_size >= 1 && digest_size <= max_digest_size);
    EDGE_CRYPTO_EXPECTS(key.size() <= max_key_size);
    for (int i = 0; i < 8; ++i)
        h_[i] = k_iv[i];
    h_[0] ^= 0x01010000u ^ (std::uint32_t(key.size()) << 8) ^ std::uint32_t(digest_size);
    if (!key.empty()) {
        std::memcpy(buf_.data(), key.data(), key.size());
        buf_len_ = block_size;  // the padded key block, compressed once more input arrives
    }
}

blake2s::~blake2s() {
    secure_wipe(this, sizeof *this);
}

void blake2s::compress(const std::uint8_t* block, std::uint32_t last) noexcept {
    std::uint32_t m[16], v[16];
    for (int i = 0; i < 16; ++i)
        m[i] = load32_le(block + 4 * i);
    for (int i = 0; i < 8; ++i) {
        v[i] = h_[i];
        v[i + 8] = k_iv[i];
    }
    v[12] ^= std::uint32_t(counter_);
    v[13] ^= std::uint32_t(counter_ >> 32);
    v[14] ^= last;
    for (const auto& s : k_sigma) {
        mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; ++i)
        h_[i] ^= v[i] ^ v[i + 8];
    secure_wipe(m, sizeof m);
    secure_wipe(v, sizeof v);
}

void blake2s::update(std::span<const std::uint8_t> data) noexcept {
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    if (n == 0) return;
    std::size_t room = block_size - buf_len_;
    if (n > room) {
        std::memcpy(buf_.data() + buf_len_, p, room);
        counter_ += block_size;
        compress(buf_.data(), 0);
        buf_len_ = 0;
        p += room;
        n -= room;
        // Keep the last (possibly full) block back: it may be the final one.
        while (n > block_size) {
            counter_ += block_size;
            compress(p, 0);
            p += block_size;
            n -= block_size;
        }
    }
    std::memcpy(buf_.data() + buf_len_, p, n);
    buf_len_ += n;
}

void blake2s::finish(std::span<std::uint8_t> out) noexcept {
    EDGE_CRYPTO_EXPECTS(out.size() == digest_size_);
    counter_ += buf_len_;
    std::memset(buf_.data() + buf_len_, 0, block_size - buf_len_);
    compress(buf_.data(), 0xffffffffu);
    std::uint8_t full[32];
    for (int i = 0; i < 8; ++i)
        detail::store32_le(full + 4 * i, h_[i]);
    std::memcpy(out.data(), full, out.size());
    secure_wipe(full, sizeof full);
    secure_wipe(this, sizeof *this);
}

void blake2s_hash(std::span<std::uint8_t> out, std::span<const std::uint8_t> in,
                  std::span<const std::uint8_t> key) noexcept {
    blake2s h(out.size(), key);
    h.update(in);
    h.finish(out);
}

}  // namespace edge::wg::crypto
