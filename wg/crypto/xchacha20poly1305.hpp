#pragma once
// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §2): HChaCha20 turns the key and the first 16
// nonce bytes into a subkey, then ChaCha20-Poly1305 runs with nonce 0^4 || nonce[16..24).
// WireGuard seals its cookie replies with it (whitepaper §5.4.7), with random 24-byte nonces.

#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::wg::crypto {

inline constexpr std::size_t xaead_nonce_size = 24;

/// Encrypts plain into out (plain.size() + 16 bytes, tag last; out may start at plain.data()).
/// Any thread.
void xaead_seal(std::span<std::uint8_t> out, std::span<const std::uint8_t> plain,
                std::span<const std::uint8_t> ad, std::span<const std::uint8_t, 32> key,
                std::span<const std::uint8_t, 24> nonce) noexcept;

/// Verifies and decrypts sealed into out (sealed.size() - 16 bytes); false, writing nothing,
/// when the tag does not match. Any thread.
[[nodiscard]] bool xaead_open(std::span<std::uint8_t> out, std::span<const std::uint8_t> sealed,
                              std::span<const std::uint8_t> ad,
                              std::span<const std::uint8_t, 32> key,
                              std::span<const std::uint8_t, 24> nonce) noexcept;

}  // namespace edge::wg::crypto
