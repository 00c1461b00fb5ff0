// Poly1305 against RFC 8439 §2.5.2, A.3 #1-#11 (including the edge cases for partial
// reduction, s overflow and 131-bit intermediates) and the key generation of §2.6.2 and A.4, on
// every path; plus every path against the portable one for all lengths to 1100 bytes with keys
// whose r limbs are all at their clamped maximum.

#include "wg/crypto/poly1305.hpp"

#include <array>

#include "tests/wg/crypto/test_support.hpp"
#include "wg/crypto/chacha20.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;

namespace {

std::array<std::uint8_t, 32> key_of(const bytes& b) {
    std::array<std::uint8_t, 32> k{};
    REQUIRE(b.size() == 32);
    std::copy(b.begin(), b.end(), k.begin());
    return k;
}

std::string tag_of(const bytes& key, const bytes& msg) {
    std::array<std::uint8_t, 16> tag{};
    poly1305(tag, msg, key_of(key));
    return to_hex(tag);
}

const std::string k_ietf =
    "Any submission to the IETF intended by the Contributor for publication as all or part of "
    "an IETF Internet-Draft or RFC and any statement made within the context of an IETF "
    "activity is considered an \"IETF Contribution\". Such statements include oral statements "
    "in IETF sessions, as well as written and electronic communications made at any time or "
    "place, which are addressed to";

struct mac_vector {
    const char* key;  // r then s
    bytes msg;
    const char* tag;
};

}  // namespace

TEST_CASE("Poly1305: RFC 8439 2.5.2 and A.3", "[poly1305]") {
    const mac_vector vectors[] = {
        {"85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
         ascii("Cryptographic Forum Research Group"), "a8061dc1305136c6c22b8baf0c0127a9"},
        // A.3 #1-#4
        {"0000000000000000000000000000000000000000000000000000000000000000", bytes(64, 0),
         "00000000000000000000000000000000"},
        {"0000000000000000000000000000000036e5f6b5c5e06070f0efca96227a863e", ascii(k_ietf),
         "36e5f6b5c5e06070f0efca96227a863e"},
        {"36e5f6b5c5e06070f0efca96227a863e00000000000000000000000000000000", ascii(k_ietf),
         "f3477e7cd95417af89a6b8794c310cf0"},
        {"1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
         ascii("'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy "
               "were the borogoves,\nAnd the mome raths outgrabe."),
         "4541669a7eaaee61e708dc7cbcc5eb62"},
        // #5: partially reduced final result that is not fully reduced.
        {"0200000000000000000000000000000000000000000000000000000000000000",
         hex("ffffffffffffffffffffffffffffffff"), "03000000000000000000000000000000"},
        // #6: adding s overflows 2^128.
        {"02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
         hex("02000000000000000000000000000000"), "03000000000000000000000000000000"},
        // #7: a data limb of all ones with a carry from below.
        {"0100000000000000000000000000000000000000000000000000000000000000",
         hex("ffffffffffffffffffffffffffffffff f0ffffffffffffffffffffffffffffff"
             "11000000000000000000000000000000"),
         "05000000000000000000000000000000"},
        // #8: the polynomial part is exactly 2^130 - 5.
        {"0100000000000000000000000000000000000000000000000000000000000000",
         hex("ffffffffffffffffffffffffffffffff fbfefefefefefefefefefefefefefefe"
             "01010101010101010101010101010101"),
         "00000000000000000000000000000000"},
        // #9: exactly 2^130 - 6.
        {"0200000000000000000000000000000000000000000000000000000000000000",
         hex("fdffffffffffffffffffffffffffffff"), "faffffffffffffffffffffffffffffff"},
        // #10: 5*H+L reduction with a 131-bit intermediate.
        {"0100000000000000040000000000000000000000000000000000000000000000",
         hex("e33594d7505e43b90000000000000000 3394d7505e4379cd0100000000000000"
             "00000000000000000000000000000000 01000000000000000000000000000000"),
         "14000000000000005500000000000000"},
        // #11: a 131-bit final result.
        {"0100000000000000040000000000000000000000000000000000000000000000",
         hex("e33594d7505e43b90000000000000000 3394d7505e4379cd0100000000000000"
             "00000000000000000000000000000000"),
         "13000000000000000000000000000000"},
    };
    for_each_impl([&](impl) {
        int n = 0;
        for (const auto& v : vectors) {
            INFO("vector " << n++);
            CHECK(tag_of(hex(v.key), v.msg) == v.tag);
            bytes t = hex(v.tag);
            std::array<std::uint8_t, 16> tag{};
            std::copy(t.begin(), t.end(), tag.begin());
            CHECK(poly1305_verify(tag, v.msg, key_of(hex(v.key))));
            tag[15] ^= 0x80;
            CHECK_FALSE(poly1305_verify(tag, v.msg, key_of(hex(v.key))));
        }
    });
}

TEST_CASE("Poly1305 key generation: RFC 8439 2.6.2 and A.4", "[poly1305]") {
    struct {
        const char* key;
        const char* nonce;
        const char* otk;
    } const vectors[] = {
        {"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
         "000000000001020304050607",
         "8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646"},
        {"0000000000000000000000000000000000000000000000000000000000000000",
         "000000000000000000000000",
         "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"},
        {"0000000000000000000000000000000000000000000000000000000000000001",
         "000000000000000000000002",
         "ecfa254f845f647473d3cb140da9e87606cb33066c447b87bc2666dde3fbb739"},
        {"1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
         "000000000000000000000002",
         "965e3bc6f9ec7ed9560808f4d229f94b137ff275ca9b3fcbdd59deaad23310ae"},
    };
    for_each_impl([&](impl) {
        for (const auto& v : vectors) {
            std::array<std::uint8_t, 64> block{};
            bytes n = hex(v.nonce);
            std::array<std::uint8_t, 12> nonce{};
            std::copy(n.begin(), n.end(), nonce.begin());
            chacha20_block(block, key_of(hex(v.key)), nonce, 0);
            CHECK(to_hex(block.data(), 32) == v.otk);
        }
    });
}

TEST_CASE("Poly1305 paths agree with the portable path at every length to 1100", "[poly1305]") {
    byte_source src(2);
    bytes msg = src.take(1100);
    // Random keys, plus keys whose clamped r is all ones and messages of all ones, which push
    // every limb to its bound.
    std::vector<bytes> keys = {src.take(32), src.take(32), bytes(32, 0xff)};
    std::vector<bytes> msgs = {msg, bytes(1100, 0xff)};
    REQUIRE(select_impl(impl::portable));
    std::vector<std::string> expect;
    for (const auto& k : keys)
        for (const auto& m : msgs)
            for (std::size_t len = 0; len <= m.size(); ++len)
                expect.push_back(tag_of(k, bytes(m.begin(), m.begin() + std::ptrdiff_t(len))));
    for_each_impl([&](impl) {
        std::size_t i = 0;
        for (const auto& k : keys)
            for (const auto& m : msgs)
                for (std::size_t len = 0; len <= m.size(); ++len, ++i)
                    if (tag_of(k, bytes(m.begin(), m.begin() + std::ptrdiff_t(len))) != expect[i])
                        FAIL("length " << len);
    });
}
