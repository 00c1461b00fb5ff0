// X25519 field arithmetic mod p = 2^255 - 19 in ISO C++: ten limbs of alternately 26 and 25
// bits (radix 2^25.5) in uint32_t, products in uint64_t. Limb i sits at bit ceil(25.5·i), so a
// product of two odd limbs lands one bit above limb i+j's position (counted twice), and terms
// at 2^255 and above fold back times 19. Every operation ends with a carry pass, so limbs stay
// within a few units of 2^26 and mul's ten-term sums stay below 2^62. The ladder is
// detail/x25519_ladder.hpp.

#include "wg/crypto/detail/backend.hpp"
#include "wg/crypto/detail/bytes.hpp"
#include "wg/crypto/detail/x25519_ladder.hpp"

namespace edge::wg::crypto::detail {
namespace {

constexpr int k_width[10] = {26, 25, 26, 25, 26, 25, 26, 25, 26, 25};

struct f25 {
    struct fe {
        std::uint32_t v[10];
    };

    static fe one() noexcept { return fe{{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}}; }

    static void from_bytes(fe& h, const std::uint8_t s[32]) noexcept {
        constexpr std::uint32_t m26 = (1u << 26) - 1, m25 = (1u << 25) - 1;
        h.v[0] = load32_le(s + 0) & m26;
        h.v[1] = (load32_le(s + 3) >> 2) & m25;
        h.v[2] = (load32_le(s + 6) >> 3) & m26;
        h.v[3] = (load32_le(s + 9) >> 5) & m25;
        h.v[4] = (load32_le(s + 12) >> 6) & m26;
        h.v[5] = load32_le(s + 16) & m25;
        h.v[6] = (load32_le(s + 19) >> 1) & m26;
        h.v[7] = (load32_le(s + 22) >> 3) & m25;
        h.v[8] = (load32_le(s + 25) >> 4) & m26;
        h.v[9] = (load32_le(s + 28) >> 6) & m25;  // drops bit 255 (RFC 7748 §5)
    }

    // One carry pass over 64-bit accumulators, folding the top carry back times 19.
    static void carry_into(fe& o, std::uint64_t d[10]) noexcept {
        for (int i = 0; i < 9; ++i) {
            d[i + 1] += d[i] >> k_width[i];
            d[i] &= (std::uint64_t(1) << k_width[i]) - 1;
        }
        std::uint64_t c = d[9] >> 25;
        d[9] &= (1u << 25) - 1;
        d[0] += c * 19;
        d[1] += d[0] >> 26;
        d[0] &= (1u << 26) - 1;
        for (int i = 0; i < 10; ++i)
            o.v[i] = std::uint32_t(d[i]);
    }

    static void to_bytes(std::uint8_t s[32], const fe& in) noexcept {
        std::uint64_t d[10];
        for (int i = 0; i < 10; ++i)
            d[i] = in.v[i];
        fe h;
        carry_into(h, d);
        // h < 2^255 + small; h >= p exactly when h + 19 carries out of bit 255.
        std::uint32_t q = (h.v[0] + 19) >> 26;
        for (int i = 1; i < 10; ++i)
            q = (h.v[i] + q) >> k_width[i];
        h.v[0] += 19 * q;
        for (int i = 0; i < 9; ++i) {
            h.v[i + 1] += h.v[i] >> k_width[i];
            h.v[i] &= (1u << k_width[i]) - 1;
        }
        h.v[9] &= (1u << 25) - 1;  // the 2^255 carry is the subtracted p
        std::uint64_t acc = 0;
        int bits = 0, pos = 0;
        for (int i = 0; i < 10; ++i) {
            acc |= std::uint64_t(h.v[i]) << bits;
            bits += k_width[i];
            while (bits >= 8) {
                s[pos++] = std::uint8_t(acc);
                acc >>= 8;
                bits -= 8;
            }
        }
        s[pos] = std::uint8_t(acc);  // the last 7 bits
    }

    static void add(fe& o, const fe& a, const fe& b) noexcept {
        std::uint64_t d[10];
        for (int i = 0; i < 10; ++i)
            d[i] = std::uint64_t(a.v[i]) + b.v[i];
        carry_into(o, d);
    }

    static void sub(fe& o, const fe& a, const fe& b) noexcept {
        // + 4p limb by limb (4p's limbs exceed any carried limb), so nothing goes negative.
        std::uint64_t d[10];
        for (int i = 0; i < 10; ++i) {
            std::uint64_t four_p = i == 0 ? 4 * ((1u << 26) - 19) : 4 * ((1u << k_width[i]) - 1);
            d[i] = std::uint64_t(a.v[i]) + four_p - b.v[i];
        }
        carry_into(o, d);
    }

    static void mul(fe& o, const fe& a, const fe& b) noexcept {
        std::uint64_t d[10] = {};
        for (int i = 0; i < 10; ++i) {
            for (int j = 0; j < 10; ++j) {
                std::uint64_t f = (i & j & 1) ? 2 : 1;
                int k = i + j;
                if (k >= 10) {
                    k -= 10;
                    f *= 19;
                }
                d[k] += std::uint64_t(a.v[i]) * (b.v[j] * f);
            }
        }
        carry_into(o, d);
    }

    static void sq(fe& o, const fe& a) noexcept { mul(o, a, a); }

    static void sqn(fe& o, const fe& a, int n) noexcept {
        sq(o, a);
        for (int i = 1; i < n; ++i)
            sq(o, o);
    }

    static void mul_a24(fe& o, const fe& a) noexcept {
        std::uint64_t d[10];
        for (int i = 0; i < 10; ++i)
            d[i] = std::uint64_t(a.v[i]) * 121665;
        carry_into(o, d);
    }

    static void cswap(fe& a, fe& b, std::uint64_t mask) noexcept {
        const std::uint32_t m = std::uint32_t(mask);
        for (int i = 0; i < 10; ++i) {
            std::uint32_t t = m & (a.v[i] ^ b.v[i]);
            a.v[i] ^= t;
            b.v[i] ^= t;
        }
    }
};

}  // namespace

void x25519_portable(std::uint8_t out[32], const std::uint8_t scalar[32],
                     const std::uint8_t u[32]) {
    x25519_ladder<f25>(out, scalar, u);
}

}  // namespace edge::wg::crypto::detail
