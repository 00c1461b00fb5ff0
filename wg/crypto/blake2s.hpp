#pragma once
// BLAKE2s (RFC 7693): WireGuard's HASH (32-byte digest) and MAC (keyed, 16-byte digest). The
// digest length is part of the parameter block (§2.5), so BLAKE2s-128 is a different function
// from a truncated BLAKE2s-256; this class takes the length up front for that reason.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::wg::crypto {

class blake2s {
  public:
    static constexpr std::size_t block_size = 64;
    static constexpr std::size_t max_digest_size = 32;
    static constexpr std::size_t max_key_size = 32;

    /// Starts a hash with a digest of digest_size bytes (1..32) and an optional key (0..32
    /// bytes); other sizes abort. Any thread.
    explicit blake2s(std::size_t digest_size = 32, std::span<const std::uint8_t> key = {}) noexcept;
    blake2s(const blake2s&) noexcept = default;
    blake2s& operator=(const blake2s&) noexcept = default;
    /// Wipes the state.
    ~blake2s();

    /// Absorbs data. Any thread (one object, one thread at a time).
    void update(std::span<const std::uint8_t> data) noexcept;
    /// Writes the digest (out.size() must equal the digest size) and wipes the state; the object
    /// must not be updated afterwards. Any thread.
    void finish(std::span<std::uint8_t> out) noexcept;

  private:
    void compress(const std::uint8_t* block, std::uint32_t last) noexcept;

    std::array<std::uint32_t, 8> h_{};
    std::array<std::uint8_t, block_size> buf_{};
    std::uint64_t counter_ = 0;
    std::size_t buf_len_ = 0;
    std::size_t digest_size_ = 32;
};

/// One-shot BLAKE2s: out.size() (1..32) is the digest length, key 0..32 bytes. Any thread.
void blake2s_hash(std::span<std::uint8_t> out, std::span<const std::uint8_t> in,
                  std::span<const std::uint8_t> key = {}) noexcept;

}  // namespace edge::wg::crypto
