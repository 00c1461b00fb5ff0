// X25519 against RFC 7748 §5.2 (two vectors, and the iterated test after 1 and 1,000 rounds)
// and §6.1 (Alice and Bob), on every path; the all-zero result for low-order points; clamping;
// and that bit 255 of u is ignored.

#include "wg/crypto/x25519.hpp"

#include <array>

#include "tests/wg/crypto/test_support.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;

namespace {

using key32 = std::array<std::uint8_t, 32>;

key32 k(const char* h) {
    bytes b = hex(h);
    key32 a{};
    REQUIRE(b.size() == 32);
    std::copy(b.begin(), b.end(), a.begin());
    return a;
}

std::string dh(const key32& s, const key32& u) {
    key32 out{};
    (void)x25519(out, s, u);
    return to_hex(out);
}

}  // namespace

TEST_CASE("X25519: RFC 7748 5.2 vectors", "[x25519]") {
    for_each_impl([](impl) {
        CHECK(dh(k("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                 k("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")) ==
              "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
        CHECK(dh(k("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                 k("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")) ==
              "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    });
}

TEST_CASE("X25519: RFC 7748 5.2 iterated, 1 and 1,000 rounds", "[x25519]") {
    for_each_impl([](impl) {
        key32 kk{}, u{};
        kk[0] = 9;
        u[0] = 9;
        for (int i = 1; i <= 1000; ++i) {
            key32 r{};
            (void)x25519(r, kk, u);
            u = kk;
            kk = r;
            if (i == 1)
                CHECK(to_hex(kk) ==
                      "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
        }
        CHECK(to_hex(kk) == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
    });
}

TEST_CASE("X25519: RFC 7748 6.1 Diffie-Hellman", "[x25519]") {
    const key32 alice = k("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const key32 bob = k("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    for_each_impl([&](impl) {
        key32 apub{}, bpub{}, s1{}, s2{};
        x25519_public_key(apub, alice);
        x25519_public_key(bpub, bob);
        CHECK(to_hex(apub) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        CHECK(to_hex(bpub) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        CHECK(x25519(s1, alice, bpub));
        CHECK(x25519(s2, bob, apub));
        CHECK(to_hex(s1) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        CHECK(s1 == s2);
    });
}

TEST_CASE("X25519: low-order points give all zeros and are reported", "[x25519]") {
    // u = 0, u = 1, the two points of order 8, and p - 1, p, p + 1 (non-canonical encodings).
    const char* low_order[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };
    const key32 scalar = k("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    for_each_impl([&](impl) {
        for (const char* u : low_order) {
            INFO("u = " << u);
            key32 out{};
            out.fill(0xaa);
            CHECK_FALSE(x25519(out, scalar, k(u)));
            CHECK(out == key32{});
        }
    });
}

TEST_CASE("X25519: bit 255 of u is ignored and the scalar is clamped", "[x25519]") {
    const key32 s = k("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    key32 u = k("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    for_each_impl([&](impl) {
        std::string base = dh(s, u);
        key32 u_high = u;
        u_high[31] |= 0x80;
        CHECK(dh(s, u_high) == base);
        key32 s_clamped = s;
        x25519_clamp(s_clamped);
        CHECK(dh(s_clamped, u) == base);
    });
    key32 all = {};
    all.fill(0xff);
    x25519_clamp(all);
    CHECK(all[0] == 0xf8);
    CHECK(all[31] == 0x7f);
}
