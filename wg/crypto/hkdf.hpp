#pragma once
// WireGuard's key derivation (whitepaper §5.4): HMAC over BLAKE2s-256 (RFC 2104, 64-byte block)
// and the HKDF (RFC 5869) it builds, with the chaining key as salt and a fixed count of outputs:
//   t0 = HMAC(ck, input);  t1 = HMAC(t0, 0x1);  t2 = HMAC(t0, t1 || 0x2);  t3 = HMAC(t0, t2 || 0x3)
// Outputs may alias the chaining key (the handshake does C := KDF1(C, ...)).

#include <cstdint>
#include <span>

namespace edge::wg::crypto {

/// HMAC-BLAKE2s-256 of msg under key (keys over 64 bytes are hashed first). Any thread.
void hmac_blake2s(std::span<std::uint8_t, 32> out, std::span<const std::uint8_t> key,
                  std::span<const std::uint8_t> msg) noexcept;

/// KDF1: t1 from chaining key ck and input. Any thread.
void kdf1(std::span<std::uint8_t, 32> t1, std::span<const std::uint8_t, 32> ck,
          std::span<const std::uint8_t> input) noexcept;

/// KDF2: t1, t2 from chaining key ck and input. Any thread.
void kdf2(std::span<std::uint8_t, 32> t1, std::span<std::uint8_t, 32> t2,
          std::span<const std::uint8_t, 32> ck, std::span<const std::uint8_t> input) noexcept;

/// KDF3: t1, t2, t3 from chaining key ck and input. Any thread.
void kdf3(std::span<std::uint8_t, 32> t1, std::span<std::uint8_t, 32> t2,
          std::span<std::uint8_t, 32> t3, std::span<const std::uint8_t, 32> ck,
          std::span<const std::uint8_t> input) noexcept;

}  // namespace edge::wg::crypto
