// ChaCha20 in ISO C++, one 64-byte block at a time (RFC 8439 §2.1-2.4), and HChaCha20
// (draft-irtf-cfrg-xchacha-03 §2.2: the same rounds without the final addition, keeping words
// 0-3 and 12-15). The reference every SIMD path is tested against, and the path on CPUs
// without AVX2.

#include <cstring>

#include "wg/crypto/detail/backend.hpp"
#include "wg/crypto/detail/bytes.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto::detail {
namespace {

// clang-format off
inline void quarter_round(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c,
                          std::uint32_t& d) noexcept {
    a += b; d ^= a; d = rotl32(d, 16);
    c += d; b ^= c; b = rotl32(b, 12);
    a += b; d ^= a; d = rotl32(d, 8);
    c += d; b ^= c; b = rotl32(b, 7);
}
// clang-format on

// Ten double rounds: a column round then a diagonal round (RFC 8439 §2.3.1).
inline void rounds(std::uint32_t x[16]) noexcept {
    for (int i = 0; i < 10; ++i) {
        quarter_round(x[0], x[4], x[8], x[12]);
        quarter_round(x[1], x[5], x[9], x[13]);
        quarter_round(x[2], x[6], x[10], x[14]);
        quarter_round(x[3], x[7], x[11], x[15]);
        quarter_round(x[0], x[5], x[10], x[15]);
        quarter_round(x[1], x[6], x[11], x[12]);
        quarter_round(x[2], x[7], x[8], x[13]);
        quarter_round(x[3], x[4], x[9], x[14]);
    }
}

}  // namespace

void chacha20_block_portable(const chacha_state& st, std::uint8_t out[64]) {
    std::uint32_t x[16];
    std::memcpy(x, st.w, sizeof x);
    rounds(x);
    for (int i = 0; i < 16; ++i)
        store32_le(out + 4 * i, x[i] + st.w[i]);
    secure_wipe(x, sizeof x);
}

void chacha20_stream_portable(const chacha_state& st, std::uint8_t* out, std::size_t nblocks) {
    chacha_state s = st;
    for (std::size_t i = 0; i < nblocks; ++i, ++s.w[12])
        chacha20_block_portable(s, out + 64 * i);
    secure_wipe(&s, sizeof s);
}

void chacha20_xor_portable(const chacha_state& st, const std::uint8_t* in, std::uint8_t* out,
                           std::size_t len) {
    chacha_state s = st;
    std::uint8_t ks[64];
    while (len > 0) {
        chacha20_block_portable(s, ks);
        ++s.w[12];
        std::size_t n = len < 64 ? len : 64;
        xor_bytes_portable(out, in, ks, n);
        in += n;
        out += n;
        len -= n;
    }
    secure_wipe(ks, sizeof ks);
    secure_wipe(&s, sizeof s);
}

void xor_bytes_portable(std::uint8_t* out, const std::uint8_t* in, const std::uint8_t* ks,
                        std::size_t n) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t a, b;
        std::memcpy(&a, in + i, 8);
        std::memcpy(&b, ks + i, 8);
        a ^= b;
        std::memcpy(out + i, &a, 8);
    }
    for (; i < n; ++i)
        out[i] = std::uint8_t(in[i] ^ ks[i]);
}

void hchacha20_portable(std::uint32_t out[8], const std::uint32_t in[16]) {
    std::uint32_t x[16];
    std::memcpy(x, in, sizeof x);
    rounds(x);
    std::memcpy(out, x, 16);
    std::memcpy(out + 4, x + 12, 16);
    secure_wipe(x, sizeof x);
}

}  // namespace edge::wg::crypto::detail
