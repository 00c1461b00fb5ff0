// Public ChaCha20 and HChaCha20: builds the input state (RFC 8439 §2.3: "expand 32-byte k",
// key, counter, nonce, all little-endian words) and runs the active path's kernel on it.

#include "wg/crypto/chacha20.hpp"

#include "wg/crypto/detail/backend.hpp"
#include "wg/crypto/detail/bytes.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto {

namespace detail {

void chacha_init(chacha_state& st, const std::uint8_t key[32], const std::uint8_t nonce[12],
                 std::uint32_t counter) noexcept {
    st.w[0] = 0x61707865;
    st.w[1] = 0x3320646e;
    st.w[2] = 0x79622d32;
    st.w[3] = 0x6b206574;
    for (int i = 0; i < 8; ++i)
        st.w[4 + i] = load32_le(key + 4 * i);
    st.w[12] = counter;
    for (int i = 0; i < 3; ++i)
        st.w[13 + i] = load32_le(nonce + 4 * i);
}

}  // namespace detail

void chacha20_block(std::span<std::uint8_t, 64> out, std::span<const std::uint8_t, 32> key,
                    std::span<const std::uint8_t, 12> nonce, std::uint32_t counter) noexcept {
    detail::chacha_state st;
    detail::chacha_init(st, key.data(), nonce.data(), counter);
    detail::active_backend().chacha20_stream(st, out.data(), 1);
    secure_wipe(&st, sizeof st);
}

void chacha20_xor(std::span<std::uint8_t> out, std::span<const std::uint8_t> in,
                  std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t, 12> nonce,
                  std::uint32_t counter) noexcept {
    EDGE_CRYPTO_EXPECTS(out.size() == in.size());
    detail::chacha_state st;
    detail::chacha_init(st, key.data(), nonce.data(), counter);
    detail::active_backend().chacha20_xor(st, in.data(), out.data(), in.size());
    secure_wipe(&st, sizeof st);
}

void hchacha20(std::span<std::uint8_t, 32> out, std::span<const std::uint8_t, 32> key,
               std::span<const std::uint8_t, 16> nonce) noexcept {
    // HChaCha20's input is a ChaCha20 state whose counter and nonce words are the 16 nonce bytes.
    detail::chacha_state st;
    detail::chacha_init(st, key.data(), nonce.data() + 4, detail::load32_le(nonce.data()));
    std::uint32_t w[8];
    detail::hchacha20_portable(w, st.w);
    for (int i = 0; i < 8; ++i)
        detail::store32_le(out.data() + 4 * i, w[i]);
    secure_wipe(w, sizeof w);
    secure_wipe(&st, sizeof st);
}

}  // namespace edge::wg::crypto
