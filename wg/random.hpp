#pragma once
// The randomness the protocol needs (ephemeral keys, receiver indices, cookie secrets and nonces,
// timer jitter), from a ChaCha20 generator the caller seeds once with 32 bytes of real entropy
// (getrandom at start-up). wg/ makes no syscall, and a test that seeds it with fixed bytes gets
// the same handshake every run. Fast key erasure: every refill replaces the key with fresh
// keystream, so a generator's state never reveals what it produced before.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "wg/types.hpp"

namespace edge::wg {

class random_source {
  public:
    /// Seeds the generator; seed must come from the OS's CSPRNG outside tests. Any thread.
    explicit random_source(const key& seed) noexcept;
    random_source(const random_source&) = delete;
    random_source& operator=(const random_source&) = delete;
    ~random_source();

    /// Fills out with random bytes. Owner's thread.
    void fill(std::span<std::uint8_t> out) noexcept;
    /// A random 32-bit value. Owner's thread.
    std::uint32_t next_u32() noexcept;
    /// A uniform value in [0, n), n > 0. Owner's thread.
    std::uint64_t below(std::uint64_t n) noexcept;

  private:
    void refill() noexcept;

    key key_{};
    std::array<std::uint8_t, 256> buf_{};
    std::size_t used_ = 256;  // bytes of buf_ already handed out (or wiped)
};

}  // namespace edge::wg
