// Poly1305 eight blocks at a time with AVX-512 IFMA (RFC 8439 §2.5 evaluated as eight
// interleaved polynomials). Lane j of the accumulator takes blocks j, j+8, j+16, ...; each step
// is H = (H + M) · r^8, and the last step multiplies lane j by r^(8-j) instead, so the lanes sum
// to exactly the serial Horner result. Limbs are radix 2^44 (44, 44, 42 bits) as in the scalar
// path (detail/poly1305_r44.hpp), which leaves 8 bits of headroom below the 52 bits that
// vpmadd52{lo,hi}uq read, so sums of a few limbs need no carry before the next multiply. Each
// product comes back as its low 52 bits and its high bits; the carry chain shifts the high half
// by 8 (2^52 = 2^44 · 2^8) and folds limb 2's overflow back times 5 (2^130 = 5 mod p).
// Messages shorter than 16 blocks, and the blocks after the last full group of eight, take the
// scalar path; the state moves between the two as scalar radix-2^44 limbs.
//
// Built with -mavx512f -mavx512vl -mavx512ifma in its own library: include nothing with
// external-linkage inline code (see detail/bytes.hpp).

// GCC 12's AVX-512 headers initialise "undefined" vectors from themselves (GCC PR 105593),
// which -Wuninitialized reports at every use; the pragma covers the header's own lines only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#pragma GCC diagnostic pop

#include "wg/crypto/detail/backend.hpp"
#include "wg/crypto/detail/poly1305_drive.hpp"
#include "wg/crypto/detail/poly1305_r44.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto::detail {
namespace {

constexpr std::size_t k_min_vector_blocks = 16;

struct vec3 {
    __m512i l0, l1, l2;
};

// H · (R0, R1, R2) with S1 = 20·R1, S2 = 20·R2, reduced to limbs below 2^44, 2^44 + 2^14, 2^42.
inline vec3 mul(const vec3& h, __m512i r0, __m512i r1, __m512i r2, __m512i s1,
                __m512i s2) noexcept {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i mask44 = _mm512_set1_epi64(std::int64_t(k_mask44));
    const __m512i mask42 = _mm512_set1_epi64(std::int64_t(k_mask42));
    __m512i d0lo = _mm512_madd52lo_epu64(zero, h.l0, r0);
    __m512i d0hi = _mm512_madd52hi_epu64(zero, h.l0, r0);
    __m512i d1lo = _mm512_madd52lo_epu64(zero, h.l0, r1);
    __m512i d1hi = _mm512_madd52hi_epu64(zero, h.l0, r1);
    __m512i d2lo = _mm512_madd52lo_epu64(zero, h.l0, r2);
    __m512i d2hi = _mm512_madd52hi_epu64(zero, h.l0, r2);
    d0lo = _mm512_madd52lo_epu64(d0lo, h.l1, s2);
    d0hi = _mm512_madd52hi_epu64(d0hi, h.l1, s2);
    d1lo = _mm512_madd52lo_epu64(d1lo, h.l1, r0);
    d1hi = _mm512_madd52hi_epu64(d1hi, h.l1, r0);
    d2lo = _mm512_madd52lo_epu64(d2lo, h.l1, r1);
    d2hi = _mm512_madd52hi_epu64(d2hi, h.l1, r1);
    d0lo = _mm512_madd52lo_epu64(d0lo, h.l2, s1);
    d0hi = _mm512_madd52hi_epu64(d0hi, h.l2, s1);
    d1lo = _mm512_madd52lo_epu64(d1lo, h.l2, s2);
    d1hi = _mm512_madd52hi_epu64(d1hi, h.l2, s2);
    d2lo = _mm512_madd52lo_epu64(d2lo, h.l2, r0);
    d2hi = _mm512_madd52hi_epu64(d2hi, h.l2, r0);
    vec3 o;
    __m512i c = _mm512_add_epi64(_mm512_srli_epi64(d0lo, 44), _mm512_slli_epi64(d0hi, 8));
    o.l0 = _mm512_and_si512(d0lo, mask44);
    d1lo = _mm512_add_epi64(d1lo, c);
    c = _mm512_add_epi64(_mm512_srli_epi64(d1lo, 44), _mm512_slli_epi64(d1hi, 8));
    o.l1 = _mm512_and_si512(d1lo, mask44);
    d2lo = _mm512_add_epi64(d2lo, c);
    c = _mm512_add_epi64(_mm512_srli_epi64(d2lo, 42), _mm512_slli_epi64(d2hi, 10));
    o.l2 = _mm512_and_si512(d2lo, mask42);
    o.l0 = _mm512_add_epi64(o.l0, _mm512_add_epi64(c, _mm512_slli_epi64(c, 2)));  // + 5c
    c = _mm512_srli_epi64(o.l0, 44);
    o.l0 = _mm512_and_si512(o.l0, mask44);
    o.l1 = _mm512_add_epi64(o.l1, c);
    return o;
}

// Eight message blocks as radix-2^44 limbs, block j in lane j, with the 2^128 bit set.
inline vec3 load_blocks(const std::uint8_t* m) noexcept {
    const __m512i mask44 = _mm512_set1_epi64(std::int64_t(k_mask44));
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    __m512i a = _mm512_loadu_si512(m), b = _mm512_loadu_si512(m + 64);
    __m512i lo = _mm512_permutex2var_epi64(a, even, b);
    __m512i hi = _mm512_permutex2var_epi64(a, odd, b);
    vec3 v;
    v.l0 = _mm512_and_si512(lo, mask44);
    v.l1 = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(lo, 44), _mm512_slli_epi64(hi, 20)),
                            mask44);
    v.l2 = _mm512_or_si512(_mm512_srli_epi64(hi, 24), _mm512_set1_epi64(std::int64_t(1) << 40));
    return v;
}

inline vec3 add(const vec3& a, const vec3& b) noexcept {
    return {_mm512_add_epi64(a.l0, b.l0), _mm512_add_epi64(a.l1, b.l1),
            _mm512_add_epi64(a.l2, b.l2)};
}

struct poly_ifma : poly44 {
    using poly44::poly44;

    // Absorbs the largest multiple of eight of n blocks (n >= 16); returns how many.
    std::size_t vector_blocks(const std::uint8_t* m, std::size_t n) noexcept {
        std::uint64_t p[9][3];  // p[k] = r^k
        p[1][0] = r[0];
        p[1][1] = r[1];
        p[1][2] = r[2];
        mul_r44(p[2], p[1], p[1]);
        mul_r44(p[3], p[2], p[1]);
        mul_r44(p[4], p[2], p[2]);
        mul_r44(p[5], p[4], p[1]);
        mul_r44(p[6], p[4], p[2]);
        mul_r44(p[7], p[4], p[3]);
        mul_r44(p[8], p[4], p[4]);
        const __m512i r0 = _mm512_set1_epi64(std::int64_t(p[8][0]));
        const __m512i r1 = _mm512_set1_epi64(std::int64_t(p[8][1]));
        const __m512i r2 = _mm512_set1_epi64(std::int64_t(p[8][2]));
        const __m512i s1 = _mm512_set1_epi64(std::int64_t(p[8][1] * 20));
        const __m512i s2 = _mm512_set1_epi64(std::int64_t(p[8][2] * 20));
        // Lane j of the last step multiplies by r^(8-j).
        auto lanes = [&](int limb, std::uint64_t scale) {
            return _mm512_setr_epi64(
                std::int64_t(p[8][limb] * scale), std::int64_t(p[7][limb] * scale),
                std::int64_t(p[6][limb] * scale), std::int64_t(p[5][limb] * scale),
                std::int64_t(p[4][limb] * scale), std::int64_t(p[3][limb] * scale),
                std::int64_t(p[2][limb] * scale), std::int64_t(p[1][limb] * scale));
        };
        const __m512i f0 = lanes(0, 1), f1 = lanes(1, 1), f2 = lanes(2, 1);
        const __m512i g1 = lanes(1, 20), g2 = lanes(2, 20);

        std::size_t groups = n / 8;
        vec3 acc = {_mm512_setr_epi64(std::int64_t(h[0]), 0, 0, 0, 0, 0, 0, 0),
                    _mm512_setr_epi64(std::int64_t(h[1]), 0, 0, 0, 0, 0, 0, 0),
                    _mm512_setr_epi64(std::int64_t(h[2]), 0, 0, 0, 0, 0, 0, 0)};
        for (std::size_t g = 0; g + 1 < groups; ++g, m += 128)
            acc = mul(add(acc, load_blocks(m)), r0, r1, r2, s1, s2);
        acc = mul(add(acc, load_blocks(m)), f0, f1, f2, g1, g2);

        std::uint64_t h0 = std::uint64_t(_mm512_reduce_add_epi64(acc.l0));
        std::uint64_t h1 = std::uint64_t(_mm512_reduce_add_epi64(acc.l1));
        std::uint64_t h2 = std::uint64_t(_mm512_reduce_add_epi64(acc.l2));
        std::uint64_t c = h0 >> 44;
        h0 &= k_mask44;
        h1 += c;
        c = h1 >> 44;
        h1 &= k_mask44;
        h2 += c;
        c = h2 >> 42;
        h2 &= k_mask42;
        h0 += c * 5;
        c = h0 >> 44;
        h0 &= k_mask44;
        h1 += c;
        h[0] = h0;
        h[1] = h1;
        h[2] = h2;
        secure_wipe(p, sizeof p);
        return groups * 8;
    }

    void blocks(const std::uint8_t* m, std::size_t n) noexcept {
        if (n >= k_min_vector_blocks) {
            std::size_t done = vector_blocks(m, n);
            m += 16 * done;
            n -= done;
        }
        poly44::blocks(m, n);
    }
};

}  // namespace

void poly1305_mac_ifma(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* m,
                       std::size_t n) {
    poly_ifma s(key);
    poly_message(s, m, n, tag);
    secure_wipe(&s, sizeof s);
}

void poly1305_aead_ifma(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* ad,
                        std::size_t ad_len, const std::uint8_t* ct, std::size_t ct_len) {
    poly_ifma s(key);
    poly_aead(s, ad, ad_len, ct, ct_len, tag);
    secure_wipe(&s, sizeof s);
}

}  // namespace edge::wg::crypto::detail
