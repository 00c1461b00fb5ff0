#pragma once
// The Internet checksum (RFC 1071): the ones' complement sum of 16-bit words, as IPv4 headers,
// TCP and UDP use it, with the pseudo-header sums TCP and UDP add (RFC 793, RFC 8200 §8.1).
// Pure code; any thread.

#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::engine {

/// The ones' complement sum of `data` added to `sum` (not folded, not inverted). Bytes are taken
/// in network order pairs; an odd last byte is padded with zero.
std::uint64_t checksum_add(std::uint64_t sum, std::span<const std::uint8_t> data) noexcept;

/// Folds a running sum to 16 bits and inverts it: the value to store in a checksum field
/// (in host order; store it big-endian).
std::uint16_t checksum_finish(std::uint64_t sum) noexcept;

/// The pseudo-header sum for TCP/UDP over IPv4 (`ip_header` points at the IPv4 header) or IPv6,
/// for an L4 segment of `l4_length` bytes and protocol `proto`.
std::uint64_t pseudo_header_sum(std::span<const std::uint8_t> ip_header, std::uint8_t proto,
                                std::size_t l4_length) noexcept;

}  // namespace edge::engine
