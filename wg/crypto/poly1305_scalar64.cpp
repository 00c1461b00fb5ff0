// Poly1305 on the scalar64 path: radix 2^44 with 128-bit products (detail/poly1305_r44.hpp).
// Falls back to the portable kernels where the compiler has no 128-bit integer.

#include "wg/crypto/detail/backend.hpp"
#include "wg/crypto/secret.hpp"

#if defined(__SIZEOF_INT128__)
#include "wg/crypto/detail/poly1305_drive.hpp"
#include "wg/crypto/detail/poly1305_r44.hpp"
#endif

namespace edge::wg::crypto::detail {

#if defined(__SIZEOF_INT128__)

void poly1305_mac_scalar64(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* m,
                           std::size_t n) {
    poly44 s(key);
    poly_message(s, m, n, tag);
    secure_wipe(&s, sizeof s);
}

void poly1305_aead_scalar64(std::uint8_t tag[16], const std::uint8_t key[32],
                            const std::uint8_t* ad, std::size_t ad_len, const std::uint8_t* ct,
                            std::size_t ct_len) {
    poly44 s(key);
    poly_aead(s, ad, ad_len, ct, ct_len, tag);
    secure_wipe(&s, sizeof s);
}

#else

void poly1305_mac_scalar64(std::uint8_t tag[16], const std::uint8_t key[32], const std::uint8_t* m,
                           std::size_t n) {
    poly1305_mac_portable(tag, key, m, n);
}

void poly1305_aead_scalar64(std::uint8_t tag[16], const std::uint8_t key[32],
                            const std::uint8_t* ad, std::size_t ad_len, const std::uint8_t* ct,
                            std::size_t ct_len) {
    poly1305_aead_portable(tag, key, ad, ad_len, ct, ct_len);
}

#endif

}  // namespace edge::wg::crypto::detail
