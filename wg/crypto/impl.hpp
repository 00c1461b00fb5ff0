#pragma once
// Which implementation path the primitives run on. The choice is made once, on first use, from
// the CPU's features (the widest supported path wins) unless EDGE_CRYPTO_IMPL names one
// (portable, scalar64, avx2, avx512). Every path computes the same bytes; they differ in speed
// only, and the portable path is always available. Tests and benchmarks switch paths with
// select_impl(); see detail/backend.hpp for what each path contains.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace edge::wg::crypto {

enum class impl : std::uint8_t { portable, scalar64, avx2, avx512 };

/// Every path, narrowest first. Any thread.
std::span<const impl> all_impls() noexcept;
/// The path's name as EDGE_CRYPTO_IMPL spells it. Any thread.
std::string_view impl_name(impl i) noexcept;
/// Parses a name as EDGE_CRYPTO_IMPL spells it. Any thread.
std::optional<impl> parse_impl(std::string_view name) noexcept;
/// Whether this CPU (and OS, for the vector register state) can run path `i`. Any thread.
bool is_supported(impl i) noexcept;
/// The path in use now. Any thread.
impl active_impl() noexcept;
/// Switches every primitive to path `i` for calls that start afterwards; false (and no change)
/// when the CPU cannot run it. Any thread; meant for tests, benchmarks and start-up.
bool select_impl(impl i) noexcept;

}  // namespace edge::wg::crypto
