// Public Poly1305: the active path's kernel, and verification by constant-time comparison.

#include "wg/crypto/poly1305.hpp"

#include "wg/crypto/detail/backend.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto {

void poly1305(std::span<std::uint8_t, 16> tag, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t, 32> key) noexcept {
    detail::active_backend().poly1305_mac(tag.data(), key.data(), msg.data(), msg.size());
}

bool poly1305_verify(std::span<const std::uint8_t, 16> tag, std::span<const std::uint8_t> msg,
                     std::span<const std::uint8_t, 32> key) noexcept {
    std::uint8_t expect[16];
    detail::active_backend().poly1305_mac(expect, key.data(), msg.data(), msg.size());
    bool ok = constant_time_equal(std::span<const std::uint8_t>(expect), tag);
    secure_wipe(expect, sizeof expect);
    return ok;
}

}  // namespace edge::wg::crypto
