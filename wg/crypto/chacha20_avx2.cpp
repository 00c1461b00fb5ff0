// ChaCha20 eight blocks at a time with AVX2 (RFC 8439 §2.3, the same rounds as the portable
// path). Layout: ymm register i holds state word i of eight consecutive blocks (counter + 0..7
// in its lanes), so a quarter round is plain lane-wise adds, xors and rotations with no
// shuffling between rounds; 16- and 8-bit rotations are byte shuffles, 12 and 7 shift pairs.
// After the rounds a 4x4 transpose inside each 128-bit lane and a 128-bit permute put each
// block's 64 bytes into two registers for the XOR with the input.
//
// Built with -mavx2 in its own library: include nothing with external-linkage inline code
// (see detail/bytes.hpp); the dispatcher only calls in here when the CPU has AVX2.

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

inline __m256i rot16(__m256i x) noexcept {
    const __m256i m = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3,
                                       0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    return _mm256_shuffle_epi8(x, m);
}
inline __m256i rot8(__m256i x) noexcept {
    const __m256i m = _mm256_setr_epi8(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14, 3, 0,
                                       1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
    return _mm256_shuffle_epi8(x, m);
}
template <int N>
inline __m256i rotl(__m256i x) noexcept {
    return _mm256_or_si256(_mm256_slli_epi32(x, N), _mm256_srli_epi32(x, 32 - N));
}

// clang-format off
inline void qr(__m256i& a, __m256i& b, __m256i& c, __m256i& d) noexcept {
    a = _mm256_add_epi32(a, b); d = rot16(_mm256_xor_si256(d, a));
    c = _mm256_add_epi32(c, d); b = rotl<12>(_mm256_xor_si256(b, c));
    a = _mm256_add_epi32(a, b); d = rot8(_mm256_xor_si256(d, a));
    c = _mm256_add_epi32(c, d); b = rotl<7>(_mm256_xor_si256(b, c));
}
// clang-format on

// Eight keystream blocks: words 0-11 from st, words 12-15 (counter and nonce) per lane from
// tail[0..3]; block b is out[2b] (bytes 0-31) and out[2b+1].
inline void core8(const chacha_state& st, const __m256i tail[4], __m256i out[16]) noexcept {
    __m256i x[16], in[16];
    for (int i = 0; i < 12; ++i)
        in[i] = _mm256_set1_epi32(int(st.w[i]));
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
        x[i] = _mm256_add_epi32(x[i], in[i]);
    // Per group of four words: after this, u[g][k] holds words 4g..4g+3 of block k (low lane)
    // and of block k+4 (high lane).
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
        out[2 * k] = _mm256_permute2x128_si256(u[0][k], u[1][k], 0x20);
        out[2 * k + 1] = _mm256_permute2x128_si256(u[2][k], u[3][k], 0x20);
        out[2 * (k + 4)] = _mm256_permute2x128_si256(u[0][k], u[1][k], 0x31);
        out[2 * (k + 4) + 1] = _mm256_permute2x128_si256(u[2][k], u[3][k], 0x31);
    }
}

inline __m256i load(const std::uint8_t* p) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
inline void store(std::uint8_t* p, __m256i v) noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}

// Words 12-15 for consecutive blocks of one stream: counter st.w[12] + lane, the nonce as is.
inline void consecutive(const chacha_state& st, __m256i tail[4]) noexcept {
    tail[0] = _mm256_add_epi32(_mm256_set1_epi32(int(st.w[12])),
                               _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (int i = 1; i < 4; ++i)
        tail[i] = _mm256_set1_epi32(int(st.w[12 + i]));
}

}  // namespace

void chacha20_stream_avx2(const chacha_state& st, std::uint8_t* out, std::size_t nblocks) {
    __m256i ks[16], tail[4];
    consecutive(st, tail);
    core8(st, tail, ks);
    for (std::size_t b = 0; b < nblocks; ++b) {
        store(out + 64 * b, ks[2 * b]);
        store(out + 64 * b + 32, ks[2 * b + 1]);
    }
    secure_wipe(ks, sizeof ks);
}

void chacha20_xor_avx2(const chacha_state& st, const std::uint8_t* in, std::uint8_t* out,
                       std::size_t len) {
    chacha_state s = st;
    __m256i ks[16], tail[4];
    while (len >= 512) {
        consecutive(s, tail);
        core8(s, tail, ks);
        for (int i = 0; i < 16; ++i)
            store(out + 32 * i, _mm256_xor_si256(load(in + 32 * i), ks[i]));
        s.w[12] += 8;
        in += 512;
        out += 512;
        len -= 512;
    }
    if (len > 0) {
        consecutive(s, tail);
        core8(s, tail, ks);
        xor_bytes_avx2(out, in, reinterpret_cast<const std::uint8_t*>(ks), len);
    }
    secure_wipe(ks, sizeof ks);
    secure_wipe(&s, sizeof s);
}

void chacha20_jobs_avx2(const chacha_state& st, const chacha_job* jobs, std::size_t n) {
    alignas(32) std::uint32_t words[4][8] = {};
    __m256i ks[16], tail[4];
    while (n > 0) {
        const std::size_t m = n < 8 ? n : 8;
        for (std::size_t i = 0; i < m; ++i) {
            words[0][i] = jobs[i].counter;
            for (int k = 0; k < 3; ++k)
                words[1 + k][i] = jobs[i].nonce[k];
        }
        for (int k = 0; k < 4; ++k)
            tail[k] = _mm256_load_si256(reinterpret_cast<const __m256i*>(words[k]));
        core8(st, tail, ks);
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(ks);
        for (std::size_t i = 0; i < m; ++i) {
            const chacha_job& j = jobs[i];
            if (j.in == nullptr) {
                store(j.out, ks[2 * i]);
                store(j.out + 32, ks[2 * i + 1]);
            } else {
                xor_bytes_avx2(j.out, j.in, bytes + 64 * i, j.len);
            }
        }
        jobs += m;
        n -= m;
    }
    secure_wipe(ks, sizeof ks);
}

void xor_bytes_avx2(std::uint8_t* out, const std::uint8_t* in, const std::uint8_t* ks,
                    std::size_t n) {
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32)
        store(out + i, _mm256_xor_si256(load(in + i), load(ks + i)));
    for (; i < n; ++i)
        out[i] = std::uint8_t(in[i] ^ ks[i]);
}

}  // namespace edge::wg::crypto::detail
