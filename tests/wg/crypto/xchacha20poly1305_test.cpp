// XChaCha20-Poly1305 against draft-irtf-cfrg-xchacha-03 A.3.1 on every path, and a forged tag.

#include "wg/crypto/xchacha20poly1305.hpp"

#include <array>

#include "tests/wg/crypto/test_support.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;

TEST_CASE("XChaCha20-Poly1305: draft-irtf-cfrg-xchacha A.3.1", "[xaead]") {
    bytes plain = ascii(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
        "future, sunscreen would be it.");
    bytes ad = hex("50515253c0c1c2c3c4c5c6c7");
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 24> nonce{};
    for (int i = 0; i < 32; ++i)
        key[std::size_t(i)] = std::uint8_t(0x80 + i);
    for (int i = 0; i < 24; ++i)
        nonce[std::size_t(i)] = std::uint8_t(0x40 + i);
    const std::string expect =
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
        "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
        "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
        "21f9664c97637da9768812f615c68b13b52e"
        "c0875924c1c7987947deafd8780acf49";
    for_each_impl([&](impl) {
        bytes sealed(plain.size() + 16);
        xaead_seal(sealed, plain, ad, key, nonce);
        CHECK(to_hex(sealed) == expect);
        bytes out(plain.size());
        REQUIRE(xaead_open(out, sealed, ad, key, nonce));
        CHECK(out == plain);
        sealed.back() ^= 1;
        CHECK_FALSE(xaead_open(out, sealed, ad, key, nonce));
    });
}
