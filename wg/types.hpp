#pragma once
// Vocabulary of the WireGuard protocol part (edge::wg): keys, the caller's clock, peer ids. Types
// only, so that any wg/ header and the engine's data path can name them without pulling in code.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace edge::wg {

/// A Curve25519 key, a symmetric key, a hash or a chaining key: 32 bytes.
using key = std::array<std::uint8_t, 32>;
/// A TAI64N timestamp as the initiation carries it (whitepaper §5.4.2): 8 bytes of big-endian
/// seconds plus 2^62, 4 bytes of big-endian nanoseconds.
using tai64n = std::array<std::uint8_t, 12>;

/// The caller's monotonic clock (CLOCK_MONOTONIC or a test's simulated one), as a duration since
/// its own epoch. wg/ never reads a clock: every call that needs the time takes `now`.
using time_ns = std::chrono::nanoseconds;
/// "No deadline".
inline constexpr time_ns no_deadline = time_ns::max();

/// A peer's number inside one tunnel: dense, stable while the peer exists, reused after removal.
using peer_id = std::uint32_t;
inline constexpr peer_id no_peer = std::numeric_limits<peer_id>::max();

}  // namespace edge::wg
