#pragma once
// Poly1305 one-time authenticator (RFC 8439 §2.5). The AEAD computes its tags through the same
// kernels (chacha20poly1305.hpp); this header is the bare MAC, for tests and anyone else.

#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::wg::crypto {

inline constexpr std::size_t poly1305_key_size = 32;
inline constexpr std::size_t poly1305_tag_size = 16;

/// Writes the tag of msg under a one-time key (never reuse a key for two messages). Any thread.
void poly1305(std::span<std::uint8_t, 16> tag, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t, 32> key) noexcept;

/// True when tag is msg's tag under key; compared in constant time. Any thread.
[[nodiscard]] bool poly1305_verify(std::span<const std::uint8_t, 16> tag,
                                   std::span<const std::uint8_t> msg,
                                   std::span<const std::uint8_t, 32> key) noexcept;

}  // namespace edge::wg::crypto
