#pragma once
// The table behind the public API: one `backend` per implementation path, each a set of kernels
// over raw pointers. Paths:
//   portable  ISO C++ only: 32-bit limbs and 64-bit products everywhere (no __int128, no SIMD).
//   scalar64  64-bit limbs with 128-bit products (Poly1305 radix 2^44, X25519 radix 2^51);
//             ChaCha20 stays portable. Any 64-bit CPU.
//   avx2      scalar64 + ChaCha20 eight blocks at a time in ymm registers.
//   avx512    ChaCha20 sixteen blocks at a time in zmm registers (eight in ymm for tails), and
//             Poly1305 eight blocks at a time with AVX-512 IFMA (52-bit multiply-add).
// This header holds declarations and plain data only, so the SIMD translation units (built with
// per-file -m flags) can include it without emitting any code of their own outside their file.

#include <cstddef>
#include <cstdint>

namespace edge::wg::crypto::detail {

/// A ChaCha20 input state (RFC 8439 §2.3): constants, key, 32-bit block counter in word 12, nonce.
struct chacha_state {
    std::uint32_t w[16];
};

/// One keystream block of a batch, for the lane-parallel kernels: block `counter` of `nonce`
/// under the batch's key. With `in` null the raw 64-byte block goes to `out` (a Poly1305 key);
/// otherwise out = in ^ block over len bytes (1..64).
struct chacha_job {
    std::uint32_t counter;
    std::uint32_t nonce[3];
    const std::uint8_t* in;
    std::uint8_t* out;
    std::uint32_t len;
};

struct backend {
    const char* name;
    /// Keystream blocks one chacha20_stream call produces at its best width; the AEAD asks for this
    /// many at once so that the Poly1305 key block rides along with the first data blocks.
    std::size_t chacha_wide_blocks;
    /// Writes `nblocks` keystream blocks starting at st.w[12] (nblocks <= chacha_wide_blocks).
    void (*chacha20_stream)(const chacha_state& st, std::uint8_t* out, std::size_t nblocks);
    /// out = in ^ keystream from block st.w[12] on; in == out allowed, len any.
    void (*chacha20_xor)(const chacha_state& st, const std::uint8_t* in, std::uint8_t* out,
                         std::size_t len);
    /// Runs n independent block jobs, one per vector lane, under st's key (st's words 12-15 are
    /// ignored); lets a batch of small packets share vector passes. Null on paths without one.
    void (*chacha20_jobs)(const chacha_state& st, const chacha_job* jobs, std::size_t n);
    /// out = in ^ ks over n bytes (in == out allowed).
    void (*xor_bytes)(std::uint8_t* out, const std::uint8_t* in, const std::uint8_t* ks,
                      std::size_t n);
    /// Poly1305 tag of m (RFC 8439 §2.5).
    void (*poly1305_mac)(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* m,
                         std::size_t n);
    /// Poly1305 tag of the AEAD construction (RFC 8439 §2.8): ad, pad16, ct, pad16, lengths.
    void (*poly1305_aead)(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* ad,
                          std::size_t ad_len, const std::uint8_t* ct, std::size_t ct_len);
    /// X25519 (RFC 7748 §5) without the zero check; the scalar is clamped inside.
    void (*x25519)(std::uint8_t out[32], const std::uint8_t scalar[32], const std::uint8_t u[32]);
};

/// Fills st for key, 96-bit nonce and block counter (RFC 8439 §2.3). Any thread.
void chacha_init(chacha_state& st, const std::uint8_t key[32], const std::uint8_t nonce[12],
                 std::uint32_t counter) noexcept;

/// The backend in use (EDGE_CRYPTO_IMPL or the best the CPU supports). Any thread.
const backend& active_backend() noexcept;

// ---- kernels, one group per file ----

// chacha20_portable.cpp
void chacha20_block_portable(const chacha_state& st, std::uint8_t out[64]);
void chacha20_stream_portable(const chacha_state& st, std::uint8_t* out, std::size_t nblocks);
void chacha20_xor_portable(const chacha_state& st, const std::uint8_t* in, std::uint8_t* out,
                           std::size_t len);
void xor_bytes_portable(std::uint8_t* out, const std::uint8_t* in, const std::uint8_t* ks,
                        std::size_t n);
void hchacha20_portable(std::uint32_t out[8], const std::uint32_t in[16]);

// chacha20_avx2.cpp
void chacha20_stream_avx2(const chacha_state& st, std::uint8_t* out, std::size_t nblocks);
void chacha20_xor_avx2(const chacha_state& st, const std::uint8_t* in, std::uint8_t* out,
                       std::size_t len);
void chacha20_jobs_avx2(const chacha_state& st, const chacha_job* jobs, std::size_t n);
void xor_bytes_avx2(std::uint8_t* out, const std::uint8_t* in, const std::uint8_t* ks,
                    std::size_t n);

// chacha20_avx512.cpp
void chacha20_stream_avx512(const chacha_state& st, std::uint8_t* out, std::size_t nblocks);
void chacha20_xor_avx512(const chacha_state& st, const std::uint8_t* in, std::uint8_t* out,
                         std::size_t len);
void chacha20_jobs_avx512(const chacha_state& st, const chacha_job* jobs, std::size_t n);
void xor_bytes_avx512(std::uint8_t* out, const std::uint8_t* in, const std::uint8_t* ks,
                      std::size_t n);

// poly1305_portable.cpp, poly1305_scalar64.cpp, poly1305_ifma.cpp
void poly1305_mac_portable(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* m,
                           std::size_t n);
void poly1305_aead_portable(std::uint8_t tag[16], const std::uint8_t key[32],
                            const std::uint8_t* ad, std::size_t ad_len, const std::uint8_t* ct,
                            std::size_t ct_len);
void poly1305_mac_scalar64(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* m,
                           std::size_t n);
void poly1305_aead_scalar64(std::uint8_t tag[16], const std::uint8_t key[32],
                            const std::uint8_t* ad, std::size_t ad_len, const std::uint8_t* ct,
                            std::size_t ct_len);
void poly1305_mac_ifma(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* m,
                       std::size_t n);
void poly1305_aead_ifma(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* ad,
                        std::size_t ad_len, const std::uint8_t* ct, std::size_t ct_len);

// x25519_portable.cpp, x25519_scalar64.cpp
void x25519_portable(std::uint8_t out[32], const std::uint8_t scalar[32], const std::uint8_t u[32]);
void x25519_scalar64(std::uint8_t out[32], const std::uint8_t scalar[32], const std::uint8_t u[32]);

}  // namespace edge::wg::crypto::detail
