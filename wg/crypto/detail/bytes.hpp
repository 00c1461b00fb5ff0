#pragma once
// Little-endian loads and stores and the abort-on-misuse check shared by every file of
// wg/crypto, including the SIMD translation units. Everything here has internal linkage (an
// unnamed namespace): a SIMD file is compiled with -mavx512f and friends, and an inline function
// with external linkage emitted there could be the copy the linker keeps for the whole program,
// which would then fault on a CPU without those instructions.

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace edge::wg::crypto::detail {
namespace {

inline std::uint32_t load32_le(const std::uint8_t* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
    return v;
}

inline std::uint64_t load64_le(const std::uint8_t* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
}

inline void store32_le(std::uint8_t* p, std::uint32_t v) noexcept {
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
}

inline void store64_le(std::uint8_t* p, std::uint64_t v) noexcept {
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
}

inline std::uint32_t rotl32(std::uint32_t v, int n) noexcept {
    return std::rotl(v, n);
}

// A violated precondition (a wrong length passed by our own caller) is a programming error,
// tier 3 of the project's error policy: stop at once rather than compute on bad input.
[[noreturn]] inline void precondition_failed() noexcept {
    std::abort();
}

}  // namespace
}  // namespace edge::wg::crypto::detail

#define EDGE_CRYPTO_EXPECTS(cond) \
    ((cond) ? static_cast<void>(0) : ::edge::wg::crypto::detail::precondition_failed())
