// ChaCha20 sixteen blocks at a time with AVX-512 (RFC 8439 §2.3). Layout as in the AVX2 file:
// zmm register i holds state word i of sixteen consecutive blocks, so rounds are lane-wise and
// every rotation is one vprold. After the rounds, a 4x4 transpose of words inside each 128-bit
// lane and a 4x4 transpose of 128-bit lanes (two rounds of vshufi32x4) leave each block's
// 64 bytes in one register. Tails of up to eight blocks run the same code on ymm registers
// (AVX-512VL keeps vprold), so a 1420-byte packet plus its Poly1305 key block (24 blocks) is
// exactly one 16-block and one 8-block pass. Partial blocks use byte-masked loads and stores
// (AVX-512BW), so nothing goes through a bounce buffer.
//
// Built with -mavx512f -mavx512vl -mavx512bw in its own library: include nothing with
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
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto::detail {
namespace {

// ---- sixteen blocks in zmm ----

// clang-format off
inline void qr(__m512i& a, __m512i& b, __m512i& c, __m512i& d) noexcept {
    a = _mm512_add_epi32(a, b); d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 16);
    c = _mm512_add_epi32(c, d); b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 12);
    a = _mm512_add_epi32(a, b); d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 8);
    c = _mm512_add_epi32(c, d); b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 7);
}
// clang-format on

// Sixteen keystream blocks: words 0-11 from st, words 12-15 (counter and nonce) per lane from
// tail[0..3]; block b ends up in out[b].
inline void core16(const chacha_state& st, const __m512i tail[4], __m512i out[16]) noexcept {
    __m512i x[16], in[16];
    for (int i = 0; i < 12; ++i)
        in[i] = _mm512_set1_epi32(int(st.w[i]));
    for (int i = 0; i < 4; ++i)
        in[12 + i] = tail[i];
    for (int i = 0; i < 16; ++i)
        x[i] = in[i];
    for (int r = 0; r < 10; ++r) {
        qr(x[0], x[4], x[8], x[12]);
        qr(x[1], x[5], x[9], x[13]);
        qr(x[2], x[6], x[10], x[14]);
        qr(x[3], x[7], x[11], x[15]);
        qr(x[0], x[5], x[10], x[15]);
        qr(x[1], x[6], x[11], x[12]);
        qr(x[2], x[7], x[8], x[13]);
        qr(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; ++i)
        x[i] = _mm512_add_epi32(x[i], in[i]);
    // u[g][k]: words 4g..4g+3 of blocks k, k+4, k+8, k+12 in its four 128-bit lanes.
    __m512i u[4][4];
    for (int g = 0; g < 4; ++g) {
        __m512i t0 = _mm512_unpacklo_epi32(x[4 * g], x[4 * g + 1]);
        __m512i t1 = _mm512_unpacklo_epi32(x[4 * g + 2], x[4 * g + 3]);
        __m512i t2 = _mm512_unpackhi_epi32(x[4 * g], x[4 * g + 1]);
        __m512i t3 = _mm512_unpackhi_epi32(x[4 * g + 2], x[4 * g + 3]);
        u[g][0] = _mm512_unpacklo_epi64(t0, t1);
        u[g][1] = _mm512_unpackhi_epi64(t0, t1);
        u[g][2] = _mm512_unpacklo_epi64(t2, t3);
        u[g][3] = _mm512_unpackhi_epi64(t2, t3);
    }
    // Transpose 128-bit lanes: block k + 4j = [u0[k].lane j, u1[k].lane j, u2[k].lane j, u3[k].lane
    // j].
    for (int k = 0; k < 4; ++k) {
        __m512i p0 = _mm512_shuffle_i32x4(u[0][k], u[1][k], 0x44);  // u0.l0 u0.l1 u1.l0 u1.l1
        __m512i p1 = _mm512_shuffle_i32x4(u[0][k], u[1][k], 0xee);  // u0.l2 u0.l3 u1.l2 u1.l3
        __m512i q0 = _mm512_shuffle_i32x4(u[2][k], u[3][k], 0x44);
        __m512i q1 = _mm512_shuffle_i32x4(u[2][k], u[3][k], 0xee);
        out[k] = _mm512_shuffle_i32x4(p0, q0, 0x88);       // lane 0 of each
        out[k + 4] = _mm512_shuffle_i32x4(p0, q0, 0xdd);   // lane 1
        out[k + 8] = _mm512_shuffle_i32x4(p1, q1, 0x88);   // lane 2
        out[k + 12] = _mm512_shuffle_i32x4(p1, q1, 0xdd);  // lane 3
    }
}

// ---- eight blocks in ymm (AVX-512VL) ----

// clang-format off
inline void qr(__m256i& a, __m256i& b, __m256i& c, __m256i& d) noexcept {
    a = _mm256_add_epi32(a, b); d = _mm256_rol_epi32(_mm256_xor_si256(d, a), 16);
    c = _mm256_add_epi32(c, d); b = _mm256_rol_epi32(_mm256_xor_si256(b, c), 12);
    a = _mm256_add_epi32(a, b); d = _mm256_rol_epi32(_mm256_xor_si256(d, a), 8);
    c = _mm256_add_epi32(c, d); b = _mm256_rol_epi32(_mm256_xor_si256(b, c), 7);
}
// clang-format on

// Eight keystream blocks, words 12-15 per lane from the low halves of tail[0..3]; block b ends
// up in out[b] (a zmm, for the shared output code).
inline void core8(const chacha_state& st, const __m512i tail[4], __m512i out[8]) noexcept {
    __m256i x[16], in[16];
    for (int i = 0; i < 12; ++i)
        in[i] = _mm256_set1_epi32(int(st.w[i]));
    for (int i = 0; i < 4; ++i)
        in[12 + i] = _mm512_castsi512_si256(tail[i]);
    for (int i = 0; i < 16; ++i)
        x[i] = in[i];
    for (int r = 0; r < 10; ++r) {
        qr(x[0], x[4], x[8], x[12]);
        qr(x[1], x[5], x[9], x[13]);
        qr(x[2], x[6], x[10], x[14]);
        qr(x[3], x[7], x[11], x[15]);
        qr(x[0], x[5], x[10], x[15]);
        qr(x[1], x[6], x[11], x[12]);
        qr(x[2], x[7], x[8], x[13]);
        qr(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; ++i)
        x[i] = _mm256_add_epi32(x[i], in[i]);
    __m256i u[4][4];
    for (int g = 0; g < 4; ++g) {
        __m256i t0 = _mm256_unpacklo_epi32(x[4 * g], x[4 * g + 1]);
        __m256i t1 = _mm256_unpacklo_epi32(x[4 * g + 2], x[4 * g + 3]);
        __m256i t2 = _mm256_unpackhi_epi32(x[4 * g], x[4 * g + 1]);
        __m256i t3 = _mm256_unpackhi_epi32(x[4 * g + 2], x[4 * g + 3]);
        u[g][0] = _mm256_unpacklo_epi64(t0, t1);
        u[g][1] = _mm256_unpackhi_epi64(t0, t1);
        u[g][2] = _mm256_unpacklo_epi64(t2, t3);
        u[g][3] = _mm256_unpackhi_epi64(t2, t3);
    }
    for (int k = 0; k < 4; ++k) {
        __m256i a = _mm256_permute2x128_si256(u[0][k], u[1][k], 0x20);
        __m256i b = _mm256_permute2x128_si256(u[2][k], u[3][k], 0x20);
        __m256i c = _mm256_permute2x128_si256(u[0][k], u[1][k], 0x31);
        __m256i d = _mm256_permute2x128_si256(u[2][k], u[3][k], 0x31);
        out[k] = _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
        out[k + 4] = _mm512_inserti64x4(_mm512_castsi256_si512(c), d, 1);
    }
}

// Words 12-15 for consecutive blocks of one stream: counter st.w[12] + lane, the nonce as is.
inline void consecutive(const chacha_state& st, __m512i tail[4]) noexcept {
    tail[0] =
        _mm512_add_epi32(_mm512_set1_epi32(int(st.w[12])),
                         _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    for (int i = 1; i < 4; ++i)
        tail[i] = _mm512_set1_epi32(int(st.w[12 + i]));
}

// ---- output ----

inline __m512i load(const std::uint8_t* p) noexcept {
    return _mm512_loadu_si512(p);
}
inline void store(std::uint8_t* p, __m512i v) noexcept {
    _mm512_storeu_si512(p, v);
}

// out = in ^ ks for the first len bytes of the n blocks in ks; masked past the end.
inline void xor_blocks(std::uint8_t* out, const std::uint8_t* in, const __m512i* ks, int n,
                       std::size_t len) noexcept {
    for (int b = 0; b < n && len > 0; ++b) {
        if (len >= 64) {
            store(out, _mm512_xor_si512(load(in), ks[b]));
            in += 64;
            out += 64;
            len -= 64;
        } else {
            __mmask64 m = (__mmask64(1) << len) - 1;
            _mm512_mask_storeu_epi8(out, m,
                                    _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, in), ks[b]));
            len = 0;
        }
    }
}

}  // namespace

void chacha20_stream_avx512(const chacha_state& st, std::uint8_t* out, std::size_t nblocks) {
    __m512i ks[16], tail[4];
    consecutive(st, tail);
    if (nblocks > 8) {
        core16(st, tail, ks);
    } else {
        core8(st, tail, ks);
    }
    for (std::size_t b = 0; b < nblocks; ++b)
        store(out + 64 * b, ks[b]);
    secure_wipe(ks, sizeof ks);
}

void chacha20_xor_avx512(const chacha_state& st, const std::uint8_t* in, std::uint8_t* out,
                         std::size_t len) {
    chacha_state s = st;
    __m512i ks[16], tail[4];
    while (len >= 1024) {
        consecutive(s, tail);
        core16(s, tail, ks);
        for (int b = 0; b < 16; ++b)
            store(out + 64 * b, _mm512_xor_si512(load(in + 64 * b), ks[b]));
        s.w[12] += 16;
        in += 1024;
        out += 1024;
        len -= 1024;
    }
    consecutive(s, tail);
    if (len > 512) {
        core16(s, tail, ks);
        xor_blocks(out, in, ks, 16, len);
    } else if (len > 0) {
        core8(s, tail, ks);
        xor_blocks(out, in, ks, 8, len);
    }
    secure_wipe(ks, sizeof ks);
    secure_wipe(&s, sizeof s);
}

void chacha20_jobs_avx512(const chacha_state& st, const chacha_job* jobs, std::size_t n) {
    alignas(64) std::uint32_t words[4][16] = {};
    __m512i ks[16], tail[4];
    while (n > 0) {
        const std::size_t m = n < 16 ? n : 16;
        for (std::size_t i = 0; i < m; ++i) {
            words[0][i] = jobs[i].counter;
            for (int k = 0; k < 3; ++k)
                words[1 + k][i] = jobs[i].nonce[k];
        }
        for (int k = 0; k < 4; ++k)
            tail[k] = _mm512_load_si512(words[k]);
        if (m > 8) {
            core16(st, tail, ks);
        } else {
            core8(st, tail, ks);
        }
        for (std::size_t i = 0; i < m; ++i) {
            const chacha_job& j = jobs[i];
            if (j.in == nullptr) {
                store(j.out, ks[i]);
            } else if (j.len == 64) {
                store(j.out, _mm512_xor_si512(load(j.in), ks[i]));
            } else {
                __mmask64 mask = (__mmask64(1) << j.len) - 1;
                _mm512_mask_storeu_epi8(
                    j.out, mask, _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, j.in), ks[i]));
            }
        }
        jobs += m;
        n -= m;
    }
    secure_wipe(ks, sizeof ks);
}

void xor_bytes_avx512(std::uint8_t* out, const std::uint8_t* in, const std::uint8_t* ks,
                      std::size_t n) {
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64)
        store(out + i, _mm512_xor_si512(load(in + i), load(ks + i)));
    if (i < n) {
        __mmask64 m = (__mmask64(1) << (n - i)) - 1;
        _mm512_mask_storeu_epi8(out + i, m,
                                _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, in + i),
                                                 _mm512_maskz_loadu_epi8(m, ks + i)));
    }
}

}  // namespace edge::wg::crypto::detail
