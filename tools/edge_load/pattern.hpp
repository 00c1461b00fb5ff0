#pragma once
// pattern: the content every edge-load stream carries, so receivers can check bytes cheaply.
// The byte at offset i of a stream (counted per direction, from its first byte) is i mod 251; a
// prime period makes a lost, doubled or shifted chunk show up as a mismatch. A shared read-only
// block lets any sender send up to pattern_span bytes starting at any offset without copying.

#include <cstddef>
#include <cstdint>

namespace edge::load {

constexpr unsigned pattern_period = 251;
/// The longest single send or check against pattern_at().
constexpr std::size_t pattern_span = 4u << 20;

/// The byte at stream offset i.
constexpr std::uint8_t pattern_byte(std::uint64_t i) noexcept {
    return std::uint8_t(i % 251);
}
/// Fills the shared block; call once from main before any worker starts.
void init_pattern() noexcept;
/// Points at pattern_span bytes equal to the stream from `offset` on; any thread after init.
const std::byte* pattern_at(std::uint64_t offset) noexcept;
/// True when p[0..n) equals the stream from `offset` on.
bool pattern_matches(const std::byte* p, std::size_t n, std::uint64_t offset) noexcept;

}  // namespace edge::load
