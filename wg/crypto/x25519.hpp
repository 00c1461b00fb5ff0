#pragma once
// X25519 Diffie-Hellman (RFC 7748 §5) on a constant-time Montgomery ladder. Private keys are
// any 32 bytes: the scalar is clamped inside (decodeScalar25519), as RFC 7748 and `wg pubkey` do;
// x25519_clamp() exists for key generation, which stores the clamped form (`wg genkey`).

#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::wg::crypto {

inline constexpr std::size_t x25519_key_size = 32;

/// Clears bits 0-2 and 255 and sets bit 254 of a private key, in place. Any thread.
void x25519_clamp(std::span<std::uint8_t, 32> private_key) noexcept;

/// out = X25519(scalar, u). Returns false when out is all zeros, which happens exactly for
/// low-order u; WireGuard must then abort the handshake (RFC 7748 §6.1). The check runs in
/// constant time. Any thread.
[[nodiscard]] bool x25519(std::span<std::uint8_t, 32> out, std::span<const std::uint8_t, 32> scalar,
                          std::span<const std::uint8_t, 32> u) noexcept;

/// The public key of a private key: X25519(private_key, 9). Any thread.
void x25519_public_key(std::span<std::uint8_t, 32> public_key,
                       std::span<const std::uint8_t, 32> private_key) noexcept;

}  // namespace edge::wg::crypto
