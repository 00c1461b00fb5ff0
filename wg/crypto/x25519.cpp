// Public X25519: clamping for key generation, the active path's ladder, and the all-zero check
// of RFC 7748 §6.1 done by OR-ing every output byte (no early exit).

#include "wg/crypto/x25519.hpp"

#include "wg/crypto/detail/backend.hpp"

namespace edge::wg::crypto {

void x25519_clamp(std::span<std::uint8_t, 32> private_key) noexcept {
    private_key[0] &= 248;
    private_key[31] &= 127;
    private_key[31] |= 64;
}

bool x25519(std::span<std::uint8_t, 32> out, std::span<const std::uint8_t, 32> scalar,
            std::span<const std::uint8_t, 32> u) noexcept {
    detail::active_backend().x25519(out.data(), scalar.data(), u.data());
    unsigned acc = 0;
    for (std::uint8_t b : out)
        acc |= b;
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(acc));
#endif
    return acc != 0;
}

void x25519_public_key(std::span<std::uint8_t, 32> public_key,
                       std::span<const std::uint8_t, 32> private_key) noexcept {
    static constexpr std::uint8_t k_base[32] = {9};
    detail::active_backend().x25519(public_key.data(), private_key.data(), k_base);
}

}  // namespace edge::wg::crypto
