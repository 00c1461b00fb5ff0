// Standard base64 (RFC 4648 §10 test vectors): what the etcd feed and the admin endpoint's Basic
// credentials decode.

#include <catch2/catch.hpp>

#include "base/base64.hpp"

using namespace edge;

TEST_CASE("RFC 4648 vectors both ways") {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (auto [plain, coded] : vectors) {
        CHECK(base64_encode(plain) == coded);
        CHECK(base64_decode(coded) == std::optional<std::string>(plain));
    }
    std::string bytes = {'\0', '\xff', '\x10', '\x80'};
    CHECK(base64_decode(base64_encode(bytes)) == std::optional<std::string>(bytes));
}

TEST_CASE("text that is not base64 is refused") {
    CHECK_FALSE(base64_decode("Zm9"));          // not a multiple of 4
    CHECK_FALSE(base64_decode("Zm9!"));         // outside the alphabet
    CHECK_FALSE(base64_decode("Z=9v"));         // padding inside
    CHECK_FALSE(base64_decode("Zg=a"));         // padding then data
    CHECK_FALSE(base64_decode("Zm9vYmFy==="));  // not a multiple of 4
}
