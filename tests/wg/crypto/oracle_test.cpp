// Differential tests: every implementation path against libsodium (ChaCha20, HChaCha20,
// Poly1305, the IETF and XChaCha20 AEADs, X25519) and OpenSSL (BLAKE2s of every digest length,
// keyed and unkeyed, and HMAC-BLAKE2s), over seeded random keys, nonces, associated data and
// lengths from 0 to 70,000 bytes. Both libraries are test-only oracles.

#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include <array>

#include "tests/wg/crypto/test_support.hpp"
#include "wg/crypto/blake2s.hpp"
#include "wg/crypto/chacha20.hpp"
#include "wg/crypto/chacha20poly1305.hpp"
#include "wg/crypto/hkdf.hpp"
#include "wg/crypto/poly1305.hpp"
#include "wg/crypto/x25519.hpp"
#include "wg/crypto/xchacha20poly1305.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;

namespace {

template <std::size_t N>
std::array<std::uint8_t, N> arr(const bytes& b) {
    std::array<std::uint8_t, N> a{};
    std::copy(b.begin(), b.begin() + N, a.begin());
    return a;
}

// Lengths that cover every tail and SIMD width (all of 0..1100), then random ones to 70,000.
std::vector<std::size_t> lengths(byte_source& src, std::size_t random_count) {
    std::vector<std::size_t> v;
    for (std::size_t i = 0; i <= 1100; ++i)
        v.push_back(i);
    for (std::size_t i : {1420, 4095, 4096, 4097, 16384, 65535, 65536, 70000})
        v.push_back(i);
    for (std::size_t i = 0; i < random_count; ++i)
        v.push_back(src.below(70001));
    return v;
}

struct sodium_ready {
    sodium_ready() { REQUIRE(sodium_init() >= 0); }
};

}  // namespace

TEST_CASE("ChaCha20 and HChaCha20 equal libsodium", "[oracle]") {
    sodium_ready s;
    byte_source src(11);
    for_each_impl([&](impl) {
        for (std::size_t len : lengths(src, 60)) {
            auto key = arr<32>(src.take(32));
            auto nonce = arr<12>(src.take(12));
            std::uint32_t ctr = std::uint32_t(src.below(1000));
            bytes m = src.take(len), ours(len), theirs(len);
            chacha20_xor(ours, m, key, nonce, ctr);
            if (len > 0)  // libsodium declares its buffers non-null even for zero lengths
                crypto_stream_chacha20_ietf_xor_ic(theirs.data(), m.data(), len, nonce.data(), ctr,
                                                   key.data());
            if (ours != theirs) FAIL("chacha20 length " << len);
        }
        for (int i = 0; i < 50; ++i) {
            auto key = arr<32>(src.take(32));
            auto nonce = arr<16>(src.take(16));
            std::array<std::uint8_t, 32> ours{}, theirs{};
            hchacha20(ours, key, nonce);
            crypto_core_hchacha20(theirs.data(), nonce.data(), key.data(), nullptr);
            CHECK(ours == theirs);
        }
    });
}

TEST_CASE("Poly1305 equals libsodium", "[oracle]") {
    sodium_ready s;
    byte_source src(12);
    for_each_impl([&](impl) {
        for (std::size_t len : lengths(src, 60)) {
            auto key = arr<32>(src.take(32));
            bytes m = src.take(len);
            std::array<std::uint8_t, 16> ours{}, theirs{};
            poly1305(ours, m, key);
            crypto_onetimeauth_poly1305(theirs.data(), m.data(), len, key.data());
            if (ours != theirs) FAIL("poly1305 length " << len);
        }
    });
}

TEST_CASE("ChaCha20-Poly1305 equals libsodium's IETF AEAD, both ways", "[oracle]") {
    sodium_ready s;
    byte_source src(13);
    for_each_impl([&](impl) {
        for (std::size_t len : lengths(src, 100)) {
            auto key = arr<32>(src.take(32));
            auto nonce = arr<12>(src.take(12));
            bytes ad = src.take(src.below(3) == 0 ? 0 : src.below(80));
            bytes m = src.take(len), ours(len + 16), theirs(len + 16);
            aead_seal(ours, m, ad, key, nonce);
            unsigned long long clen = 0;
            crypto_aead_chacha20poly1305_ietf_encrypt(theirs.data(), &clen, m.data(), len,
                                                      ad.data(), ad.size(), nullptr, nonce.data(),
                                                      key.data());
            if (ours != theirs) FAIL("seal length " << len << " ad " << ad.size());
            bytes back(len);
            if (!aead_open(back, theirs, ad, key, nonce) || back != m) FAIL("open length " << len);
            if (len > 0) {
                theirs[src.below(len + 16)] ^= 0x10;
                if (aead_open(back, theirs, ad, key, nonce)) FAIL("forgery accepted, " << len);
            }
        }
    });
}

TEST_CASE("XChaCha20-Poly1305 equals libsodium", "[oracle]") {
    sodium_ready s;
    byte_source src(14);
    for_each_impl([&](impl) {
        for (int i = 0; i < 300; ++i) {
            std::size_t len = i < 200 ? std::size_t(i) : src.below(70001);
            auto key = arr<32>(src.take(32));
            auto nonce = arr<24>(src.take(24));
            bytes ad = src.take(src.below(40));
            bytes m = src.take(len), ours(len + 16), theirs(len + 16);
            xaead_seal(ours, m, ad, key, nonce);
            unsigned long long clen = 0;
            crypto_aead_xchacha20poly1305_ietf_encrypt(theirs.data(), &clen, m.data(), len,
                                                       ad.data(), ad.size(), nullptr, nonce.data(),
                                                       key.data());
            if (ours != theirs) FAIL("xchacha seal length " << len);
            bytes back(len);
            if (!xaead_open(back, theirs, ad, key, nonce) || back != m)
                FAIL("xchacha open length " << len);
        }
    });
}

TEST_CASE("X25519 equals libsodium", "[oracle]") {
    sodium_ready s;
    byte_source src(15);
    for_each_impl([&](impl) {
        for (int i = 0; i < 200; ++i) {
            auto scalar = arr<32>(src.take(32));
            auto u = arr<32>(src.take(32));
            std::array<std::uint8_t, 32> ours{}, theirs{}, pub{}, sodium_pub{};
            bool ok = x25519(ours, scalar, u);
            int rc = crypto_scalarmult(theirs.data(), scalar.data(), u.data());
            CHECK(ok == (rc == 0));
            if (rc == 0) CHECK(ours == theirs);
            x25519_public_key(pub, scalar);
            crypto_scalarmult_base(sodium_pub.data(), scalar.data());
            CHECK(pub == sodium_pub);
        }
    });
}

TEST_CASE("BLAKE2s of every digest length equals OpenSSL's BLAKE2SMAC and BLAKE2S-256",
          "[oracle]") {
    byte_source src(16);
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "BLAKE2SMAC", nullptr);
    REQUIRE(mac != nullptr);
    for (int i = 0; i < 400; ++i) {
        std::size_t outlen = 1 + std::size_t(i % 32);
        std::size_t keylen = 1 + src.below(32);
        std::size_t len = i < 300 ? std::size_t(i) : src.below(5000);
        bytes key = src.take(keylen), m = src.take(len), ours(outlen), theirs(outlen);
        blake2s_hash(ours, m, key);
        EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
        std::size_t size = outlen;
        OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t("size", &size), OSSL_PARAM_END};
        REQUIRE(EVP_MAC_init(ctx, key.data(), key.size(), params) == 1);
        REQUIRE(EVP_MAC_update(ctx, m.data(), m.size()) == 1);
        std::size_t got = 0;
        REQUIRE(EVP_MAC_final(ctx, theirs.data(), &got, theirs.size()) == 1);
        EVP_MAC_CTX_free(ctx);
        REQUIRE(got == outlen);
        if (ours != theirs) FAIL("keyed blake2s outlen " << outlen << " len " << len);

        bytes h(32), oh(32);
        blake2s_hash(h, m);
        unsigned olen = 0;
        REQUIRE(EVP_Digest(m.data(), m.size(), oh.data(), &olen, EVP_blake2s256(), nullptr) == 1);
        if (h != oh) FAIL("blake2s-256 len " << len);
    }
    EVP_MAC_free(mac);
}

TEST_CASE("HMAC-BLAKE2s equals OpenSSL's HMAC with BLAKE2S-256", "[oracle]") {
    byte_source src(17);
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    REQUIRE(mac != nullptr);
    for (int i = 0; i < 200; ++i) {
        bytes key = src.take(1 + src.below(100)), m = src.take(src.below(300));
        std::array<std::uint8_t, 32> ours{}, theirs{};
        hmac_blake2s(ours, key, m);
        EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
        char digest[] = "BLAKE2S-256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_END};
        REQUIRE(EVP_MAC_init(ctx, key.data(), key.size(), params) == 1);
        REQUIRE(EVP_MAC_update(ctx, m.data(), m.size()) == 1);
        std::size_t got = 0;
        REQUIRE(EVP_MAC_final(ctx, theirs.data(), &got, theirs.size()) == 1);
        EVP_MAC_CTX_free(ctx);
        CHECK(ours == theirs);
    }
    EVP_MAC_free(mac);
}
