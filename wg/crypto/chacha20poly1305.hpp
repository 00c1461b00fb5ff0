#pragma once
// ChaCha20-Poly1305 AEAD (RFC 8439 §2.8) as WireGuard uses it (whitepaper §5.4.6: the 96-bit
// nonce is 4 zero bytes then a 64-bit little-endian counter).
//
// Data-path forms work in place over a packet buffer laid out as [payload][16-byte tag], so a
// packet is never copied, and a batch form takes many packets of one session in one call. Open
// verifies the tag over the ciphertext before decrypting anything: on failure the buffer is left
// exactly as it was and no unauthenticated plaintext ever exists.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::wg::crypto {

inline constexpr std::size_t aead_key_size = 32;
inline constexpr std::size_t aead_nonce_size = 12;
inline constexpr std::size_t aead_tag_size = 16;

/// WireGuard's nonce for `counter`: 4 zero bytes, then the counter little-endian. Any thread.
std::array<std::uint8_t, 12> wg_nonce(std::uint64_t counter) noexcept;

/// Encrypts plain into out[0, plain.size()) and writes the tag at out[plain.size(), +16).
/// out.size() must be plain.size() + 16; out may start at plain.data(). Any thread.
void aead_seal(std::span<std::uint8_t> out, std::span<const std::uint8_t> plain,
               std::span<const std::uint8_t> ad, std::span<const std::uint8_t, 32> key,
               std::span<const std::uint8_t, 12> nonce) noexcept;

/// Verifies sealed (ciphertext then tag) and decrypts it into out (sealed.size() - 16 bytes,
/// may start at sealed.data()). Returns false, writing nothing, when the tag does not match.
/// Any thread.
[[nodiscard]] bool aead_open(std::span<std::uint8_t> out, std::span<const std::uint8_t> sealed,
                             std::span<const std::uint8_t> ad,
                             std::span<const std::uint8_t, 32> key,
                             std::span<const std::uint8_t, 12> nonce) noexcept;

/// In place: buf is [plaintext][16 bytes of room]; afterwards [ciphertext][tag]. Any thread.
void aead_seal_in_place(std::span<std::uint8_t> buf, std::span<const std::uint8_t> ad,
                        std::span<const std::uint8_t, 32> key,
                        std::span<const std::uint8_t, 12> nonce) noexcept;

/// In place: buf is [ciphertext][tag]; on success buf[0, size-16) is the plaintext, on failure
/// buf is unchanged. Any thread.
[[nodiscard]] bool aead_open_in_place(std::span<std::uint8_t> buf, std::span<const std::uint8_t> ad,
                                      std::span<const std::uint8_t, 32> key,
                                      std::span<const std::uint8_t, 12> nonce) noexcept;

/// One packet of a batch: `len` payload bytes at `data`, followed by 16 bytes for the tag; the
/// nonce is wg_nonce(counter). `ok` is an output of aead_open_batch.
struct aead_packet {
    std::uint8_t* data = nullptr;
    std::size_t len = 0;
    std::uint64_t counter = 0;
    std::span<const std::uint8_t> ad{};
    bool ok = false;
};

/// Seals every packet in place under one key (one WireGuard session). Any thread.
void aead_seal_batch(std::span<aead_packet> packets,
                     std::span<const std::uint8_t, 32> key) noexcept;

/// Opens every packet in place under one key, setting each packet's `ok`; a packet that fails
/// is left unchanged. Returns how many opened. Any thread.
std::size_t aead_open_batch(std::span<aead_packet> packets,
                            std::span<const std::uint8_t, 32> key) noexcept;

}  // namespace edge::wg::crypto
