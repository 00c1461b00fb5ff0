#pragma once
// The X25519 Montgomery ladder (RFC 7748 §5), written once over a field type so the portable
// (radix 2^25.5) and scalar64 (radix 2^51) paths share it. The scalar bit only ever feeds a
// mask for the conditional swap; the loop runs the same 255 steps for every scalar. The
// inversion is z^(p-2) by a fixed chain of 254 squarings and 11 multiplications. Every
// intermediate is wiped. Internal linkage (see bytes.hpp).
//
// The field type F provides: a type fe; from_bytes (ignores bit 255), to_bytes (canonical);
// add, sub, mul, sq, sqn (n squarings), mul_a24 (times 121665); cswap(a, b, mask); one().

#include <cstdint>
#include <cstring>

#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto::detail {
namespace {

template <class F>
void fe_invert(typename F::fe& out, const typename F::fe& z) noexcept {
    using fe = typename F::fe;
    fe z2, z9, z11, t, z_5_0, z_10_0, z_20_0, z_50_0, z_100_0;
    F::sq(z2, z);          // z^2
    F::sqn(t, z2, 2);      // z^8
    F::mul(z9, t, z);      // z^9
    F::mul(z11, z9, z2);   // z^11
    F::sq(t, z11);         // z^22
    F::mul(z_5_0, t, z9);  // z^(2^5 - 1)
    F::sqn(t, z_5_0, 5);
    F::mul(z_10_0, t, z_5_0);  // z^(2^10 - 1)
    F::sqn(t, z_10_0, 10);
    F::mul(z_20_0, t, z_10_0);  // z^(2^20 - 1)
    F::sqn(t, z_20_0, 20);
    F::mul(t, t, z_20_0);  // z^(2^40 - 1)
    F::sqn(t, t, 10);
    F::mul(z_50_0, t, z_10_0);  // z^(2^50 - 1)
    F::sqn(t, z_50_0, 50);
    F::mul(z_100_0, t, z_50_0);  // z^(2^100 - 1)
    F::sqn(t, z_100_0, 100);
    F::mul(t, t, z_100_0);  // z^(2^200 - 1)
    F::sqn(t, t, 50);
    F::mul(t, t, z_50_0);  // z^(2^250 - 1)
    F::sqn(t, t, 5);       // z^(2^255 - 32)
    F::mul(out, t, z11);   // z^(2^255 - 21) = z^(p - 2)
    for (fe* v : {&z2, &z9, &z11, &t, &z_5_0, &z_10_0, &z_20_0, &z_50_0, &z_100_0})
        secure_wipe(v, sizeof *v);
}

template <class F>
void x25519_ladder(std::uint8_t out[32], const std::uint8_t scalar[32],
                   const std::uint8_t u[32]) noexcept {
    using fe = typename F::fe;
    std::uint8_t e[32];
    std::memcpy(e, scalar, 32);
    // decodeScalar25519 (RFC 7748 §5).
    e[0] &= 248;
    e[31] &= 127;
    e[31] |= 64;

    fe x1, x2, z2, x3, z3, a, aa, b, bb, ee, c, d, da, cb, t;
    F::from_bytes(x1, u);
    x2 = F::one();
    z2 = fe{};
    x3 = x1;
    z3 = F::one();
    std::uint64_t swap = 0;
    for (int pos = 254; pos >= 0; --pos) {
        std::uint64_t bit = (e[pos >> 3] >> (pos & 7)) & 1;
        swap ^= bit;
        F::cswap(x2, x3, 0 - swap);
        F::cswap(z2, z3, 0 - swap);
        swap = bit;
        F::add(a, x2, z2);
        F::sq(aa, a);
        F::sub(b, x2, z2);
        F::sq(bb, b);
        F::sub(ee, aa, bb);
        F::add(c, x3, z3);
        F::sub(d, x3, z3);
        F::mul(da, d, a);
        F::mul(cb, c, b);
        F::add(t, da, cb);
        F::sq(x3, t);
        F::sub(t, da, cb);
        F::sq(t, t);
        F::mul(z3, x1, t);
        F::mul(x2, aa, bb);
        F::mul_a24(t, ee);
        F::add(t, aa, t);
        F::mul(z2, ee, t);
    }
    F::cswap(x2, x3, 0 - swap);
    F::cswap(z2, z3, 0 - swap);
    fe_invert<F>(t, z2);
    F::mul(x2, x2, t);
    F::to_bytes(out, x2);

    secure_wipe(e, sizeof e);
    for (fe* v : {&x1, &x2, &z2, &x3, &z3, &a, &aa, &b, &bb, &ee, &c, &d, &da, &cb, &t})
        secure_wipe(v, sizeof *v);
}

}  // namespace
}  // namespace edge::wg::crypto::detail
