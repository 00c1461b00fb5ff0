#pragma once
// How Poly1305 walks its input (RFC 8439 §2.5.1 for a message, §2.8 for the AEAD's
// ad || pad16 || ct || pad16 || le64(ad_len) || le64(ct_len)), written once as templates over a
// path's state. A state provides:
//   blocks(m, n)     absorb n full 16-byte blocks, each with the 2^128 bit set
//   last_block(b)    absorb a final partial block already padded with 0x01 and zeros (no 2^128)
//   finish(tag)      add the pad s and write the tag
// Internal linkage throughout (see bytes.hpp for why that matters in SIMD files).

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "wg/crypto/detail/bytes.hpp"

namespace edge::wg::crypto::detail {
namespace {

template <class State>
void poly_message(State& s, const std::uint8_t* m, std::size_t n, std::uint8_t tag[16]) {
    std::size_t full = n / 16;
    s.blocks(m, full);
    std::size_t rem = n % 16;
    if (rem != 0) {
        std::uint8_t b[16] = {};
        std::memcpy(b, m + 16 * full, rem);
        b[rem] = 1;
        s.last_block(b);
    }
    s.finish(tag);
}

// Absorbs m zero-padded to a multiple of 16 bytes (the AEAD's pad16).
template <class State>
void poly_padded(State& s, const std::uint8_t* m, std::size_t n) {
    std::size_t full = n / 16;
    s.blocks(m, full);
    std::size_t rem = n % 16;
    if (rem != 0) {
        std::uint8_t b[16] = {};
        std::memcpy(b, m + 16 * full, rem);
        s.blocks(b, 1);
    }
}

template <class State>
void poly_aead(State& s, const std::uint8_t* ad, std::size_t ad_len, const std::uint8_t* ct,
               std::size_t ct_len, std::uint8_t tag[16]) {
    poly_padded(s, ad, ad_len);
    poly_padded(s, ct, ct_len);
    std::uint8_t lens[16];
    store64_le(lens, ad_len);
    store64_le(lens + 8, ct_len);
    s.blocks(lens, 1);
    s.finish(tag);
}

}  // namespace
}  // namespace edge::wg::crypto::detail
