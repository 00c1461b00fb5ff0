#pragma once
// Handling of secret bytes: a wipe the optimiser may not remove as a dead store, and an equality
// test whose running time depends only on the length (for tags and keys).

#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::wg::crypto {

/// Overwrites n bytes at p with zeros, even when p is never read again. Any thread.
void secure_wipe(void* p, std::size_t n) noexcept;

/// Wipes a span of trivially copyable objects. Any thread.
template <class T, std::size_t N>
void secure_wipe(std::span<T, N> s) noexcept {
    secure_wipe(static_cast<void*>(s.data()), s.size_bytes());
}

/// True when a and b hold the same bytes; the time taken does not depend on the contents.
/// Spans of different sizes compare unequal (sizes are not secret). Any thread.
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

}  // namespace edge::wg::crypto
