// ChaCha20 and HChaCha20 against every vector of RFC 8439 §2.3.2, §2.4.2, A.1 and A.2, and
// draft-irtf-cfrg-xchacha-03 §2.2.1, on every implementation path; plus a cross-path check over
// all lengths around the SIMD widths, where the portable path is the reference.

#include "wg/crypto/chacha20.hpp"

#include <array>

#include "tests/wg/crypto/test_support.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;

namespace {

const std::string k_sunscreen =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
    "future, sunscreen would be it.";
const std::string k_ietf =
    "Any submission to the IETF intended by the Contributor for publication as all or part of "
    "an IETF Internet-Draft or RFC and any statement made within the context of an IETF "
    "activity is considered an \"IETF Contribution\". Such statements include oral statements "
    "in IETF sessions, as well as written and electronic communications made at any time or "
    "place, which are addressed to";
const std::string k_jabberwocky =
    "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy were the "
    "borogoves,\nAnd the mome raths outgrabe.";

std::array<std::uint8_t, 32> key_of(const bytes& b) {
    std::array<std::uint8_t, 32> k{};
    REQUIRE(b.size() == 32);
    std::copy(b.begin(), b.end(), k.begin());
    return k;
}
std::array<std::uint8_t, 12> nonce_of(const bytes& b) {
    std::array<std::uint8_t, 12> n{};
    REQUIRE(b.size() == 12);
    std::copy(b.begin(), b.end(), n.begin());
    return n;
}

struct block_vector {
    const char* key;
    const char* nonce;
    std::uint32_t counter;
    const char* out;
};

// RFC 8439 §2.3.2 and Appendix A.1 #1-#5.
const block_vector k_blocks[] = {
    {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "000000090000004a00000000",
     1,
     "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
     "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     0,
     "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
     "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     1,
     "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
     "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"},
    {"0000000000000000000000000000000000000000000000000000000000000001", "000000000000000000000000",
     1,
     "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a"
     "8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0"},
    {"00ff000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     2,
     "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca"
     "13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000002",
     0,
     "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7"
     "8a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d"},
};

struct stream_vector {
    const char* key;
    const char* nonce;
    std::uint32_t counter;
    bytes plain;
    const char* cipher;
};

}  // namespace

TEST_CASE("ChaCha20 block function: RFC 8439 2.3.2 and A.1", "[chacha20]") {
    for_each_impl([](impl) {
        for (const auto& v : k_blocks) {
            std::array<std::uint8_t, 64> out{};
            chacha20_block(out, key_of(hex(v.key)), nonce_of(hex(v.nonce)), v.counter);
            CHECK(to_hex(out) == to_hex(hex(v.out)));
        }
    });
}

TEST_CASE("ChaCha20 encryption: RFC 8439 2.4.2 and A.2", "[chacha20]") {
    const stream_vector vectors[] = {
        {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         "000000000000004a00000000", 1, ascii(k_sunscreen),
         "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
         "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
         "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
         "5af90bbf74a35be6b40b8eedf2785e42874d"},
        {"0000000000000000000000000000000000000000000000000000000000000000",
         "000000000000000000000000", 0, bytes(64, 0),
         "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
         "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"},
        {"0000000000000000000000000000000000000000000000000000000000000001",
         "000000000000000000000002", 1, ascii(k_ietf),
         "a3fbf07df3fa2fde4f376ca23e82737041605d9f4f4f57bd8cff2c1d4b7955ec"
         "2a97948bd3722915c8f3d337f7d370050e9e96d647b7c39f56e031ca5eb6250d"
         "4042e02785ececfa4b4bb5e8ead0440e20b6e8db09d881a7c6132f420e527950"
         "42bdfa7773d8a9051447b3291ce1411c680465552aa6c405b7764d5e87bea85a"
         "d00f8449ed8f72d0d662ab052691ca66424bc86d2df80ea41f43abf937d3259d"
         "c4b2d0dfb48a6c9139ddd7f76966e928e635553ba76c5c879d7b35d49eb2e62b"
         "0871cdac638939e25e8a1e0ef9d5280fa8ca328b351c3c765989cbcf3daa8b6c"
         "cc3aaf9f3979c92b3720fc88dc95ed84a1be059c6499b9fda236e7e818b04b0b"
         "c39c1e876b193bfe5569753f88128cc08aaa9b63d1a16f80ef2554d7189c411f"
         "5869ca52c5b83fa36ff216b9c1d30062bebcfd2dc5bce0911934fda79a86f6e6"
         "98ced759c3ff9b6477338f3da4f9cd8514ea9982ccafb341b2384dd902f3d1ab"
         "7ac61dd29c6f21ba5b862f3730e37cfdc4fd806c22f221"},
        {"1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
         "000000000000000000000002", 42, ascii(k_jabberwocky),
         "62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf"
         "166d3df2d721caf9b21e5fb14c616871fd84c54f9d65b283196c7fe4f60553eb"
         "f39c6402c42234e32a356b3e764312a61a5532055716ead6962568f87d3f3f77"
         "04c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36757a797ac188d1"},
    };
    for_each_impl([&](impl) {
        for (const auto& v : vectors) {
            bytes out(v.plain.size());
            chacha20_xor(out, v.plain, key_of(hex(v.key)), nonce_of(hex(v.nonce)), v.counter);
            CHECK(to_hex(out) == to_hex(hex(v.cipher)));
            // In place, and back again.
            bytes buf = out;
            chacha20_xor(buf, buf, key_of(hex(v.key)), nonce_of(hex(v.nonce)), v.counter);
            CHECK(buf == v.plain);
        }
    });
}

TEST_CASE("HChaCha20: draft-irtf-cfrg-xchacha 2.2.1", "[chacha20]") {
    auto key = key_of(hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
    bytes n = hex("000000090000004a0000000031415927");
    std::array<std::uint8_t, 16> nonce{};
    std::copy(n.begin(), n.end(), nonce.begin());
    std::array<std::uint8_t, 32> out{};
    hchacha20(out, key, nonce);
    CHECK(to_hex(out) == "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
}

TEST_CASE("ChaCha20 paths agree with the portable path at every length to 2100", "[chacha20]") {
    byte_source src(1);
    auto key = key_of(src.take(32));
    auto nonce = nonce_of(src.take(12));
    bytes plain = src.take(2100);
    REQUIRE(select_impl(impl::portable));
    std::vector<bytes> expect;
    for (std::size_t len = 0; len <= plain.size(); ++len) {
        bytes out(len);
        chacha20_xor(out, std::span(plain).first(len), key, nonce, 7);
        expect.push_back(out);
    }
    for_each_impl([&](impl) {
        for (std::size_t len = 0; len <= plain.size(); ++len) {
            bytes out(len);
            chacha20_xor(out, std::span(plain).first(len), key, nonce, 7);
            if (out != expect[len]) FAIL("length " << len);
        }
    });
}
