#pragma once
// ChaCha20 (RFC 8439 §2.3-2.4) and HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2). The keystream
// is computed on the active path (impl.hpp): sixteen blocks per step with AVX-512, eight with
// AVX2, one otherwise.

#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::wg::crypto {

inline constexpr std::size_t chacha20_key_size = 32;
inline constexpr std::size_t chacha20_nonce_size = 12;
inline constexpr std::size_t chacha20_block_size = 64;

/// Writes the keystream block `counter` for key and nonce (RFC 8439 §2.3). Any thread.
void chacha20_block(std::span<std::uint8_t, 64> out, std::span<const std::uint8_t, 32> key,
                    std::span<const std::uint8_t, 12> nonce, std::uint32_t counter) noexcept;

/// out = in ^ keystream starting at block `counter` (RFC 8439 §2.4). out.size() must equal
/// in.size(); out may be in itself (in place) but must not partly overlap it. The 32-bit counter
/// must not wrap (at most 256 GiB per nonce). Any thread.
void chacha20_xor(std::span<std::uint8_t> out, std::span<const std::uint8_t> in,
                  std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t, 12> nonce,
                  std::uint32_t counter) noexcept;

/// Derives XChaCha20's subkey from key and the first 16 bytes of its nonce. Any thread.
void hchacha20(std::span<std::uint8_t, 32> out, std::span<const std::uint8_t, 32> key,
               std::span<const std::uint8_t, 16> nonce) noexcept;

}  // namespace edge::wg::crypto
