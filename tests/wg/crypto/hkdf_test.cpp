// HMAC-BLAKE2s and WireGuard's KDF1/2/3: the protocol's constants (whitepaper §5.4: the
// construction hash and its chaining with the identifier), the HMAC as RFC 2104 defines it
// (rebuilt here from the hash), the HKDF chain (t1 = HMAC(t0, 1), t2 = HMAC(t0, t1 || 2), ...),
// and outputs that alias the chaining key.

#include "wg/crypto/hkdf.hpp"

#include <array>

#include "tests/wg/crypto/test_support.hpp"
#include "wg/crypto/blake2s.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;

namespace {

using key32 = std::array<std::uint8_t, 32>;

key32 hash(const bytes& in) {
    key32 out{};
    blake2s_hash(out, in);
    return out;
}

bytes cat(const bytes& a, const bytes& b) {
    bytes r = a;
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

// RFC 2104 spelled out: H((K ^ opad) || H((K ^ ipad) || m)).
key32 hmac_reference(bytes key, const bytes& msg) {
    if (key.size() > 64) {
        key32 k = hash(key);
        key.assign(k.begin(), k.end());
    }
    key.resize(64, 0);
    bytes ipad(64), opad(64);
    for (int i = 0; i < 64; ++i) {
        ipad[std::size_t(i)] = key[std::size_t(i)] ^ 0x36;
        opad[std::size_t(i)] = key[std::size_t(i)] ^ 0x5c;
    }
    key32 inner = hash(cat(ipad, msg));
    return hash(cat(opad, bytes(inner.begin(), inner.end())));
}

}  // namespace

TEST_CASE("WireGuard's construction and identifier hashes", "[hkdf]") {
    key32 c = hash(ascii("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
    CHECK(to_hex(c) == "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
    key32 h = hash(cat(bytes(c.begin(), c.end()), ascii("WireGuard v1 zx2c4 Jason@zx2c4.com")));
    CHECK(to_hex(h) == "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
}

TEST_CASE("HMAC-BLAKE2s equals RFC 2104 over BLAKE2s-256", "[hkdf]") {
    byte_source src(6);
    for (std::size_t klen : {0, 1, 32, 63, 64, 65, 100}) {
        for (std::size_t mlen : {0, 1, 33, 64, 200}) {
            bytes key = src.take(klen), msg = src.take(mlen);
            key32 out{};
            hmac_blake2s(out, key, msg);
            INFO("key " << klen << " msg " << mlen);
            CHECK(out == hmac_reference(key, msg));
        }
    }
}

TEST_CASE("KDF1/2/3 follow the HKDF chain and may overwrite the chaining key", "[hkdf]") {
    byte_source src(7);
    bytes ckb = src.take(32), input = src.take(32);
    key32 ck{};
    std::copy(ckb.begin(), ckb.end(), ck.begin());
    key32 t0 = hmac_reference(ckb, input);
    bytes t0b(t0.begin(), t0.end());
    key32 e1 = hmac_reference(t0b, {1});
    key32 e2 = hmac_reference(t0b, cat(bytes(e1.begin(), e1.end()), {2}));
    key32 e3 = hmac_reference(t0b, cat(bytes(e2.begin(), e2.end()), {3}));

    key32 a{}, b{}, c{};
    kdf1(a, ck, input);
    CHECK(a == e1);
    kdf2(a, b, ck, input);
    CHECK(a == e1);
    CHECK(b == e2);
    kdf3(a, b, c, ck, input);
    CHECK(a == e1);
    CHECK(b == e2);
    CHECK(c == e3);

    key32 chain = ck;
    kdf2(chain, b, chain, input);  // C, k := KDF2(C, input)
    CHECK(chain == e1);
    CHECK(b == e2);
    chain = ck;
    kdf3(a, b, chain, chain, input);
    CHECK(chain == e3);
    chain = ck;
    kdf1(chain, chain, {});
    key32 t0_empty = hmac_reference(ckb, {});
    CHECK(chain == hmac_reference(bytes(t0_empty.begin(), t0_empty.end()), {1}));
}
