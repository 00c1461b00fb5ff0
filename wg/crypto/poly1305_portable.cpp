// Poly1305 in ISO C++ (RFC 8439 §2.5): the accumulator and r in five 26-bit limbs, so every
// product fits a uint64_t with room for the five-term sums; 2^130 = 5 (mod p) folds the high
// limbs back as multiples of 5·r. The final reduction selects h or h - p with a mask, never a
// branch.

#include "wg/crypto/detail/backend.hpp"
#include "wg/crypto/detail/bytes.hpp"
#include "wg/crypto/detail/poly1305_drive.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto::detail {
namespace {

constexpr std::uint32_t k_mask26 = 0x3ffffff;

struct poly26 {
    std::uint32_t r[5], s[5], h[5] = {0, 0, 0, 0, 0}, pad[4];

    explicit poly26(const std::uint8_t key[32]) noexcept {
        // Clamping (§2.5.1) folded into the limb masks.
        r[0] = load32_le(key + 0) & 0x3ffffff;
        r[1] = (load32_le(key + 3) >> 2) & 0x3ffff03;
        r[2] = (load32_le(key + 6) >> 4) & 0x3ffc0ff;
        r[3] = (load32_le(key + 9) >> 6) & 0x3f03fff;
        r[4] = (load32_le(key + 12) >> 8) & 0x00fffff;
        for (int i = 1; i < 5; ++i)
            s[i] = r[i] * 5;
        s[0] = 0;
        for (int i = 0; i < 4; ++i)
            pad[i] = load32_le(key + 16 + 4 * i);
    }
    ~poly26() { secure_wipe(this, sizeof *this); }

    void block(const std::uint8_t* m, std::uint32_t hibit) noexcept {
        std::uint64_t h0 = h[0] + (load32_le(m + 0) & k_mask26);
        std::uint64_t h1 = h[1] + ((load32_le(m + 3) >> 2) & k_mask26);
        std::uint64_t h2 = h[2] + ((load32_le(m + 6) >> 4) & k_mask26);
        std::uint64_t h3 = h[3] + ((load32_le(m + 9) >> 6) & k_mask26);
        std::uint64_t h4 = h[4] + ((load32_le(m + 12) >> 8) | hibit);
        const std::uint64_t r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3], r4 = r[4];
        const std::uint64_t s1 = s[1], s2 = s[2], s3 = s[3], s4 = s[4];
        std::uint64_t d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
        std::uint64_t d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
        std::uint64_t d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
        std::uint64_t d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
        std::uint64_t d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
        d1 += d0 >> 26;
        d2 += d1 >> 26;
        d3 += d2 >> 26;
        d4 += d3 >> 26;
        std::uint64_t c = d4 >> 26;
        h[4] = std::uint32_t(d4) & k_mask26;
        std::uint64_t t0 = (d0 & k_mask26) + c * 5;
        h[0] = std::uint32_t(t0) & k_mask26;
        h[1] = (std::uint32_t(d1) & k_mask26) + std::uint32_t(t0 >> 26);
        h[2] = std::uint32_t(d2) & k_mask26;
        h[3] = std::uint32_t(d3) & k_mask26;
    }

    void blocks(const std::uint8_t* m, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; ++i)
            block(m + 16 * i, 1u << 24);
    }
    void last_block(const std::uint8_t* b) noexcept { block(b, 0); }

    // clang-format off
    void finish(std::uint8_t tag[16]) noexcept {
        std::uint32_t h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], c;
        c = h1 >> 26; h1 &= k_mask26; h2 += c;
        c = h2 >> 26; h2 &= k_mask26; h3 += c;
        c = h3 >> 26; h3 &= k_mask26; h4 += c;
        c = h4 >> 26; h4 &= k_mask26; h0 += c * 5;
        c = h0 >> 26; h0 &= k_mask26; h1 += c;
        // g = h + 5 - 2^130; if it does not go negative, h >= p and g is the reduced value.
        std::uint32_t g0 = h0 + 5; c = g0 >> 26; g0 &= k_mask26;
        std::uint32_t g1 = h1 + c; c = g1 >> 26; g1 &= k_mask26;
        std::uint32_t g2 = h2 + c; c = g2 >> 26; g2 &= k_mask26;
        std::uint32_t g3 = h3 + c; c = g3 >> 26; g3 &= k_mask26;
        std::uint32_t g4 = h4 + c - (1u << 26);
        std::uint32_t use_g = (g4 >> 31) - 1;  // all ones when g4 did not borrow
        h0 = (h0 & ~use_g) | (g0 & use_g);
        h1 = (h1 & ~use_g) | (g1 & use_g);
        h2 = (h2 & ~use_g) | (g2 & use_g);
        h3 = (h3 & ~use_g) | (g3 & use_g);
        h4 = (h4 & ~use_g) | (g4 & use_g);
        // h mod 2^128 as four 32-bit words, then + pad.
        std::uint64_t w0 = (h0 | (h1 << 26)) & 0xffffffff;
        std::uint64_t w1 = ((h1 >> 6) | (h2 << 20)) & 0xffffffff;
        std::uint64_t w2 = ((h2 >> 12) | (h3 << 14)) & 0xffffffff;
        std::uint64_t w3 = ((h3 >> 18) | (h4 << 8)) & 0xffffffff;
        std::uint64_t f = w0 + pad[0];
        store32_le(tag + 0, std::uint32_t(f));
        f = w1 + pad[1] + (f >> 32);
        store32_le(tag + 4, std::uint32_t(f));
        f = w2 + pad[2] + (f >> 32);
        store32_le(tag + 8, std::uint32_t(f));
        f = w3 + pad[3] + (f >> 32);
        store32_le(tag + 12, std::uint32_t(f));
    }
    // clang-format on
};

}  // namespace

void poly1305_mac_portable(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* m,
                           std::size_t n) {
    poly26 s(key);
    poly_message(s, m, n, tag);
}

void poly1305_aead_portable(std::uint8_t tag[16], const std::uint8_t key[32],
                            const std::uint8_t* ad, std::size_t ad_len, const std::uint8_t* ct,
                            std::size_t ct_len) {
    poly26 s(key);
    poly_aead(s, ad, ad_len, ct, ct_len, tag);
}

}  // namespace edge::wg::crypto::detail
