#pragma once
// Poly1305 state in radix 2^44 (limbs of 44, 44 and 42 bits) with 128-bit products: three limbs
// instead of five makes a block 9 multiplications instead of 25. Shared by the scalar64 path and
// the IFMA path, which uses it for the key, r's powers, the bytes before and after its vector
// loop, and the final reduction; the two agree on the representation, so the vector loop can
// take the state over and hand it back. Internal linkage (see bytes.hpp).

#include <cstddef>
#include <cstdint>

#include "wg/crypto/detail/bytes.hpp"

namespace edge::wg::crypto::detail {
namespace {

__extension__ typedef unsigned __int128 u128;

constexpr std::uint64_t k_mask44 = 0xfffffffffff;
constexpr std::uint64_t k_mask42 = 0x3ffffffffff;

// a * b mod p (partially reduced), both in radix 2^44; s1, s2 are b1, b2 times 20 (2^132 = 4·5).
inline void mul_r44(std::uint64_t out[3], const std::uint64_t a[3],
                    const std::uint64_t b[3]) noexcept {
    const std::uint64_t s1 = b[1] * 20, s2 = b[2] * 20;
    u128 d0 = u128(a[0]) * b[0] + u128(a[1]) * s2 + u128(a[2]) * s1;
    u128 d1 = u128(a[0]) * b[1] + u128(a[1]) * b[0] + u128(a[2]) * s2;
    u128 d2 = u128(a[0]) * b[2] + u128(a[1]) * b[1] + u128(a[2]) * b[0];
    std::uint64_t h0 = std::uint64_t(d0) & k_mask44;
    d1 += std::uint64_t(d0 >> 44);
    std::uint64_t h1 = std::uint64_t(d1) & k_mask44;
    d2 += std::uint64_t(d1 >> 44);
    std::uint64_t h2 = std::uint64_t(d2) & k_mask42;
    h0 += std::uint64_t(d2 >> 42) * 5;
    h1 += h0 >> 44;
    h0 &= k_mask44;
    out[0] = h0;
    out[1] = h1;
    out[2] = h2;
}

struct poly44 {
    std::uint64_t r[3];
    std::uint64_t h[3] = {0, 0, 0};
    std::uint64_t pad[2];

    explicit poly44(const std::uint8_t key[32]) noexcept {
        std::uint64_t t0 = load64_le(key), t1 = load64_le(key + 8);
        // Clamping (RFC 8439 §2.5.1) folded into the limb masks.
        r[0] = t0 & 0xffc0fffffff;
        r[1] = ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffff;
        r[2] = (t1 >> 24) & 0x00ffffffc0f;
        pad[0] = load64_le(key + 16);
        pad[1] = load64_le(key + 24);
    }

    void block(const std::uint8_t* m, std::uint64_t hibit) noexcept {
        std::uint64_t t0 = load64_le(m), t1 = load64_le(m + 8);
        std::uint64_t a[3] = {h[0] + (t0 & k_mask44), h[1] + (((t0 >> 44) | (t1 << 20)) & k_mask44),
                              h[2] + (((t1 >> 24) & k_mask42) | hibit)};
        mul_r44(h, a, r);
    }

    void blocks(const std::uint8_t* m, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; ++i)
            block(m + 16 * i, std::uint64_t(1) << 40);
    }
    void last_block(const std::uint8_t* b) noexcept { block(b, 0); }

    // clang-format off
    void finish(std::uint8_t tag[16]) noexcept {
        std::uint64_t h0 = h[0], h1 = h[1], h2 = h[2], c;
        // Two full carry passes bring h below 2^130 + a little.
        for (int pass = 0; pass < 2; ++pass) {
            c = h1 >> 44; h1 &= k_mask44; h2 += c;
            c = h2 >> 42; h2 &= k_mask42; h0 += c * 5;
            c = h0 >> 44; h0 &= k_mask44; h1 += c;
        }
        c = h1 >> 44; h1 &= k_mask44; h2 += c;
        // g = h + 5 - 2^130; it does not borrow exactly when h >= p.
        std::uint64_t g0 = h0 + 5; c = g0 >> 44; g0 &= k_mask44;
        std::uint64_t g1 = h1 + c; c = g1 >> 44; g1 &= k_mask44;
        std::uint64_t g2 = h2 + c - (std::uint64_t(1) << 42);
        std::uint64_t use_g = (g2 >> 63) - 1;
        h0 = (h0 & ~use_g) | (g0 & use_g);
        h1 = (h1 & ~use_g) | (g1 & use_g);
        h2 = (h2 & ~use_g) | (g2 & use_g);
        // + pad, mod 2^128.
        std::uint64_t p0 = pad[0], p1 = pad[1];
        h0 += p0 & k_mask44; c = h0 >> 44; h0 &= k_mask44;
        h1 += (((p0 >> 44) | (p1 << 20)) & k_mask44) + c; c = h1 >> 44; h1 &= k_mask44;
        h2 += ((p1 >> 24) & k_mask42) + c;
        store64_le(tag, h0 | (h1 << 44));
        store64_le(tag + 8, (h1 >> 20) | (h2 << 24));
    }
    // clang-format on
};

}  // namespace
}  // namespace edge::wg::crypto::detail
