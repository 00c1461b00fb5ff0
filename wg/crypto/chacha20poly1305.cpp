// ChaCha20-Poly1305 (RFC 8439 §2.8) over the active path's kernels.
//
// One keystream call at the path's widest width yields the Poly1305 key (block 0, §2.6) together
// with the first data blocks, so a 1420-byte packet costs one 16-block and one 8-block pass on
// AVX-512 rather than an extra pass for the key. Seal encrypts then authenticates the
// ciphertext; open authenticates first and decrypts only after the tag compares equal (in
// constant time), so a forged packet leaves its buffer untouched. Key-derived bytes on the stack
// are wiped before returning.

#include "wg/crypto/chacha20poly1305.hpp"

#include "wg/crypto/detail/backend.hpp"
#include "wg/crypto/detail/bytes.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto {
namespace {

using detail::backend;
using detail::chacha_state;

constexpr std::size_t k_max_wide_blocks = 16;

// Block 0 and the first data blocks of keystream, with the state positioned after them.
struct keystream_head {
    alignas(64) std::uint8_t ks[k_max_wide_blocks * 64];
    chacha_state st;
    std::size_t blocks;  // blocks in ks, block 0 included
    std::size_t bytes;   // data bytes ks covers after block 0

    keystream_head(const backend& b, const std::uint8_t key[32], const std::uint8_t nonce[12],
                   std::size_t len) noexcept {
        detail::chacha_init(st, key, nonce, 0);
        std::size_t want = 1 + (len + 63) / 64;
        blocks = want < b.chacha_wide_blocks ? want : b.chacha_wide_blocks;
        b.chacha20_stream(st, ks, blocks);
        bytes = (blocks - 1) * 64 < len ? (blocks - 1) * 64 : len;
        st.w[12] = std::uint32_t(blocks);
    }
    ~keystream_head() {
        secure_wipe(ks, blocks * 64);
        secure_wipe(&st, sizeof st);
    }

    void apply(const backend& b, const std::uint8_t* in, std::uint8_t* out,
               std::size_t len) const noexcept {
        b.xor_bytes(out, in, ks + 64, bytes);
        if (len > bytes) b.chacha20_xor(st, in + bytes, out + bytes, len - bytes);
    }
};

void seal_raw(const backend& b, std::uint8_t* out, std::uint8_t tag[16], const std::uint8_t* in,
              std::size_t len, const std::uint8_t* ad, std::size_t ad_len,
              const std::uint8_t key[32], const std::uint8_t nonce[12]) noexcept {
    keystream_head head(b, key, nonce, len);
    head.apply(b, in, out, len);
    b.poly1305_aead(tag, head.ks, ad, ad_len, out, len);
}

bool open_raw(const backend& b, std::uint8_t* out, const std::uint8_t* in, std::size_t len,
              const std::uint8_t tag[16], const std::uint8_t* ad, std::size_t ad_len,
              const std::uint8_t key[32], const std::uint8_t nonce[12]) noexcept {
    keystream_head head(b, key, nonce, len);
    std::uint8_t expect[16];
    b.poly1305_aead(expect, head.ks, ad, ad_len, in, len);
    bool ok = constant_time_equal(std::span<const std::uint8_t>(expect, 16),
                                  std::span<const std::uint8_t>(tag, 16));
    secure_wipe(expect, sizeof expect);
    if (!ok) return false;
    head.apply(b, in, out, len);
    return true;
}

}  // namespace

std::array<std::uint8_t, 12> wg_nonce(std::uint64_t counter) noexcept {
    std::array<std::uint8_t, 12> n{};
    detail::store64_le(n.data() + 4, counter);
    return n;
}

void aead_seal(std::span<std::uint8_t> out, std::span<const std::uint8_t> plain,
               std::span<const std::uint8_t> ad, std::span<const std::uint8_t, 32> key,
               std::span<const std::uint8_t, 12> nonce) noexcept {
    EDGE_CRYPTO_EXPECTS(out.size() == plain.size() + aead_tag_size);
    seal_raw(detail::active_backend(), out.data(), out.data() + plain.size(), plain.data(),
             plain.size(), ad.data(), ad.size(), key.data(), nonce.data());
}

bool aead_open(std::span<std::uint8_t> out, std::span<const std::uint8_t> sealed,
               std::span<const std::uint8_t> ad, std::span<const std::uint8_t, 32> key,
               std::span<const std::uint8_t, 12> nonce) noexcept {
    if (sealed.size() < aead_tag_size) return false;
    std::size_t len = sealed.size() - aead_tag_size;
    EDGE_CRYPTO_EXPECTS(out.size() == len);
    return open_raw(detail::active_backend(), out.data(), sealed.data(), len, sealed.data() + len,
                    ad.data(), ad.size(), key.data(), nonce.data());
}

void aead_seal_in_place(std::span<std::uint8_t> buf, std::span<const std::uint8_t> ad,
                        std::span<const std::uint8_t, 32> key,
                        std::span<const std::uint8_t, 12> nonce) noexcept {
    EDGE_CRYPTO_EXPECTS(buf.size() >= aead_tag_size);
    std::size_t len = buf.size() - aead_tag_size;
    seal_raw(detail::active_backend(), buf.data(), buf.data() + len, buf.data(), len, ad.data(),
             ad.size(), key.data(), nonce.data());
}

bool aead_open_in_place(std::span<std::uint8_t> buf, std::span<const std::uint8_t> ad,
                        std::span<const std::uint8_t, 32> key,
                        std::span<const std::uint8_t, 12> nonce) noexcept {
    if (buf.size() < aead_tag_size) return false;
    std::size_t len = buf.size() - aead_tag_size;
    return open_raw(detail::active_backend(), buf.data(), buf.data(), len, buf.data() + len,
                    ad.data(), ad.size(), key.data(), nonce.data());
}

void aead_seal_batch(std::span<aead_packet> packets,
                     std::span<const std::uint8_t, 32> key) noexcept {
    const backend& b = detail::active_backend();
    for (aead_packet& p : packets) {
        auto nonce = wg_nonce(p.counter);
        seal_raw(b, p.data, p.data + p.len, p.data, p.len, p.ad.data(), p.ad.size(), key.data(),
                 nonce.data());
    }
}

std::size_t aead_open_batch(std::span<aead_packet> packets,
                            std::span<const std::uint8_t, 32> key) noexcept {
    const backend& b = detail::active_backend();
    std::size_t good = 0;
    for (aead_packet& p : packets) {
        auto nonce = wg_nonce(p.counter);
        p.ok = open_raw(b, p.data, p.data, p.len, p.data + p.len, p.ad.data(), p.ad.size(),
                        key.data(), nonce.data());
        good += p.ok ? 1 : 0;
    }
    return good;
}

}  // namespace edge::wg::crypto
