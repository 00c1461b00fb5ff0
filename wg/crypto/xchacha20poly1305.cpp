// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §2.3): subkey = HChaCha20(key, nonce[0..16)),
// then ChaCha20-Poly1305 under the subkey with nonce 0^4 || nonce[16..24). The subkey is wiped.

#include "wg/crypto/xchacha20poly1305.hpp"

#include <array>

#include "wg/crypto/chacha20.hpp"
#include "wg/crypto/chacha20poly1305.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto {
namespace {

struct subkey {
    std::array<std::uint8_t, 32> key;
    std::array<std::uint8_t, 12> nonce{};

    subkey(std::span<const std::uint8_t, 32> k, std::span<const std::uint8_t, 24> n) noexcept {
        hchacha20(key, k, n.first<16>());
        for (int i = 0; i < 8; ++i)
            nonce[4 + i] = n[16 + i];
    }
    ~subkey() { secure_wipe(std::span(key)); }
};

}  // namespace

void xaead_seal(std::span<std::uint8_t> out, std::span<const std::uint8_t> plain,
                std::span<const std::uint8_t> ad, std::span<const std::uint8_t, 32> key,
                std::span<const std::uint8_t, 24> nonce) noexcept {
    subkey sk(key, nonce);
    aead_seal(out, plain, ad, sk.key, sk.nonce);
}

bool xaead_open(std::span<std::uint8_t> out, std::span<const std::uint8_t> sealed,
                std::span<const std::uint8_t> ad, std::span<const std::uint8_t, 32> key,
                std::span<const std::uint8_t, 24> nonce) noexcept {
    subkey sk(key, nonce);
    return aead_open(out, sealed, ad, sk.key, sk.nonce);
}

}  // namespace edge::wg::crypto
