// X25519 field arithmetic mod p = 2^255 - 19 on the scalar64 path: five 51-bit limbs in
// uint64_t, products in unsigned __int128. A product's terms at weight 2^255 and above fold back
// times 19. Bounds: every operation's output has limbs below 2^52 (sub adds 2p first so it
// never goes negative), so mul's five-term sums stay below 2^112 and the top carry times 19
// fits 64 bits. The ladder itself is detail/x25519_ladder.hpp.

#include "wg/crypto/detail/backend.hpp"

#if defined(__SIZEOF_INT128__)

#include "wg/crypto/detail/bytes.hpp"
#include "wg/crypto/detail/x25519_ladder.hpp"

namespace edge::wg::crypto::detail {
namespace {

__extension__ typedef unsigned __int128 u128;
constexpr std::uint64_t k_mask51 = (std::uint64_t(1) << 51) - 1;

struct f51 {
    struct fe {
        std::uint64_t v[5];
    };

    static fe one() noexcept { return fe{{1, 0, 0, 0, 0}}; }

    static void from_bytes(fe& h, const std::uint8_t s[32]) noexcept {
        std::uint64_t t0 = load64_le(s), t1 = load64_le(s + 8), t2 = load64_le(s + 16),
                      t3 = load64_le(s + 24);
        h.v[0] = t0 & k_mask51;
        h.v[1] = ((t0 >> 51) | (t1 << 13)) & k_mask51;
        h.v[2] = ((t1 >> 38) | (t2 << 26)) & k_mask51;
        h.v[3] = ((t2 >> 25) | (t3 << 39)) & k_mask51;
        h.v[4] = (t3 >> 12) & k_mask51;  // drops bit 255 (RFC 7748 §5)
    }

    static void carry(fe& h) noexcept {
        std::uint64_t c;
        c = h.v[0] >> 51;
        h.v[0] &= k_mask51;
        h.v[1] += c;
        c = h.v[1] >> 51;
        h.v[1] &= k_mask51;
        h.v[2] += c;
        c = h.v[2] >> 51;
        h.v[2] &= k_mask51;
        h.v[3] += c;
        c = h.v[3] >> 51;
        h.v[3] &= k_mask51;
        h.v[4] += c;
        c = h.v[4] >> 51;
        h.v[4] &= k_mask51;
        h.v[0] += c * 19;
    }

    static void to_bytes(std::uint8_t s[32], const fe& in) noexcept {
        fe h = in;
        carry(h);
        carry(h);
        // Now h < 2^255 + small; h >= p exactly when h + 19 carries out of bit 255.
        std::uint64_t q = (h.v[0] + 19) >> 51;
        q = (h.v[1] + q) >> 51;
        q = (h.v[2] + q) >> 51;
        q = (h.v[3] + q) >> 51;
        q = (h.v[4] + q) >> 51;
        h.v[0] += 19 * q;
        std::uint64_t c;
        c = h.v[0] >> 51;
        h.v[0] &= k_mask51;
        h.v[1] += c;
        c = h.v[1] >> 51;
        h.v[1] &= k_mask51;
        h.v[2] += c;
        c = h.v[2] >> 51;
        h.v[2] &= k_mask51;
        h.v[3] += c;
        c = h.v[3] >> 51;
        h.v[3] &= k_mask51;
        h.v[4] += c;
        h.v[4] &= k_mask51;  // the 2^255 carry is the subtracted p
        store64_le(s, h.v[0] | (h.v[1] << 51));
        store64_le(s + 8, (h.v[1] >> 13) | (h.v[2] << 38));
        store64_le(s + 16, (h.v[2] >> 26) | (h.v[3] << 25));
        store64_le(s + 24, (h.v[3] >> 39) | (h.v[4] << 12));
    }

    static void add(fe& o, const fe& a, const fe& b) noexcept {
        for (int i = 0; i < 5; ++i)
            o.v[i] = a.v[i] + b.v[i];
        carry(o);
    }

    static void sub(fe& o, const fe& a, const fe& b) noexcept {
        // + 2p, limb by limb, so no limb goes negative.
        o.v[0] = a.v[0] + 0xfffffffffffda - b.v[0];
        for (int i = 1; i < 5; ++i)
            o.v[i] = a.v[i] + 0xffffffffffffe - b.v[i];
        carry(o);
    }

    static void reduce(fe& o, u128 d0, u128 d1, u128 d2, u128 d3, u128 d4) noexcept {
        d1 += std::uint64_t(d0 >> 51);
        d2 += std::uint64_t(d1 >> 51);
        d3 += std::uint64_t(d2 >> 51);
        d4 += std::uint64_t(d3 >> 51);
        std::uint64_t c = std::uint64_t(d4 >> 51);
        std::uint64_t h0 = (std::uint64_t(d0) & k_mask51) + c * 19;
        o.v[1] = (std::uint64_t(d1) & k_mask51) + (h0 >> 51);
        o.v[0] = h0 & k_mask51;
        o.v[2] = std::uint64_t(d2) & k_mask51;
        o.v[3] = std::uint64_t(d3) & k_mask51;
        o.v[4] = std::uint64_t(d4) & k_mask51;
    }

    static void mul(fe& o, const fe& a, const fe& b) noexcept {
        const std::uint64_t a0 = a.v[0], a1 = a.v[1], a2 = a.v[2], a3 = a.v[3], a4 = a.v[4];
        const std::uint64_t b0 = b.v[0], b1 = b.v[1], b2 = b.v[2], b3 = b.v[3], b4 = b.v[4];
        const std::uint64_t b1_19 = b1 * 19, b2_19 = b2 * 19, b3_19 = b3 * 19, b4_19 = b4 * 19;
        u128 d0 = u128(a0) * b0 + u128(a1) * b4_19 + u128(a2) * b3_19 + u128(a3) * b2_19 +
                  u128(a4) * b1_19;
        u128 d1 =
            u128(a0) * b1 + u128(a1) * b0 + u128(a2) * b4_19 + u128(a3) * b3_19 + u128(a4) * b2_19;
        u128 d2 =
            u128(a0) * b2 + u128(a1) * b1 + u128(a2) * b0 + u128(a3) * b4_19 + u128(a4) * b3_19;
        u128 d3 = u128(a0) * b3 + u128(a1) * b2 + u128(a2) * b1 + u128(a3) * b0 + u128(a4) * b4_19;
        u128 d4 = u128(a0) * b4 + u128(a1) * b3 + u128(a2) * b2 + u128(a3) * b1 + u128(a4) * b0;
        reduce(o, d0, d1, d2, d3, d4);
    }

    static void sq(fe& o, const fe& a) noexcept {
        const std::uint64_t a0 = a.v[0], a1 = a.v[1], a2 = a.v[2], a3 = a.v[3], a4 = a.v[4];
        const std::uint64_t a0_2 = a0 * 2, a1_2 = a1 * 2, a3_19 = a3 * 19, a4_19 = a4 * 19;
        u128 d0 = u128(a0) * a0 + u128(a1_2) * a4_19 + u128(a2 * 2) * a3_19;
        u128 d1 = u128(a0_2) * a1 + u128(a2 * 2) * a4_19 + u128(a3) * a3_19;
        u128 d2 = u128(a0_2) * a2 + u128(a1) * a1 + u128(a3 * 2) * a4_19;
        u128 d3 = u128(a0_2) * a3 + u128(a1_2) * a2 + u128(a4) * a4_19;
        u128 d4 = u128(a0_2) * a4 + u128(a1_2) * a3 + u128(a2) * a2;
        reduce(o, d0, d1, d2, d3, d4);
    }

    static void sqn(fe& o, const fe& a, int n) noexcept {
        sq(o, a);
        for (int i = 1; i < n; ++i)
            sq(o, o);
    }

    static void mul_a24(fe& o, const fe& a) noexcept {
        reduce(o, u128(a.v[0]) * 121665, u128(a.v[1]) * 121665, u128(a.v[2]) * 121665,
               u128(a.v[3]) * 121665, u128(a.v[4]) * 121665);
    }

    static void cswap(fe& a, fe& b, std::uint64_t mask) noexcept {
        for (int i = 0; i < 5; ++i) {
            std::uint64_t t = mask & (a.v[i] ^ b.v[i]);
            a.v[i] ^= t;
            b.v[i] ^= t;
        }
    }
};

}  // namespace

void x25519_scalar64(std::uint8_t out[32], const std::uint8_t scalar[32],
                     const std::uint8_t u[32]) {
    x25519_ladder<f51>(out, scalar, u);
}

}  // namespace edge::wg::crypto::detail

#else

namespace edge::wg::crypto::detail {
void x25519_scalar64(std::uint8_t out[32], const std::uint8_t scalar[32],
                     const std::uint8_t u[32]) {
    x25519_portable(out, scalar, u);
}
}  // namespace edge::wg::crypto::detail

#endif
