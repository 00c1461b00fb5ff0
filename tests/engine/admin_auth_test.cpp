// The admin endpoint's token check: the Bearer form, the Basic form browsers send, and
// everything else refused.

#include <catch2/catch.hpp>

#include "engine/control/admin_auth.hpp"

using namespace edge::engine;

namespace {

std::string head(const std::string& auth_line) {
    return "GET /status HTTP/1.1\r\nHost: x\r\n" + auth_line + "\r\nAccept: */*\r\n\r\n";
}

}  // namespace

TEST_CASE("without a token every request is allowed") {
    admin_auth none;
    CHECK_FALSE(none.enabled());
    CHECK(none.allows("GET / HTTP/1.0\r\n\r\n"));
}

TEST_CASE("with a token only the right credentials pass") {
    admin_auth a("s3cret-token");
    CHECK(a.enabled());
    CHECK(a.allows(head("Authorization: Bearer s3cret-token")));
    CHECK(a.allows(head("authorization:   bearer s3cret-token  ")));
    // Basic with the token as password, any user: base64("admin:s3cret-token").
    CHECK(a.allows(head("Authorization: Basic YWRtaW46czNjcmV0LXRva2Vu")));
    CHECK_FALSE(a.allows("GET /status HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK_FALSE(a.allows(head("Authorization: Bearer s3cret-toke")));
    CHECK_FALSE(a.allows(head("Authorization: Bearer s3cret-token2")));
    CHECK_FALSE(a.allows(head("Authorization: Bearer")));
    CHECK_FALSE(a.allows(head("Authorization: Token s3cret-token")));
    CHECK_FALSE(a.allows(head("Authorization: Basic !!!")));
    CHECK_FALSE(a.allows(head("X-Authorization: Bearer s3cret-token")));
    // base64("admin:wrong")
    CHECK_FALSE(a.allows(head("Authorization: Basic YWRtaW46d3Jvbmc=")));
}

TEST_CASE("header lookup is case-insensitive and ignores the request line") {
    std::string h = "GET /authorization:x HTTP/1.1\r\nHOST: a\r\nContent-Type:  b \r\n\r\n";
    CHECK(find_header(h, "host") == "a");
    CHECK(find_header(h, "content-type") == "b");
    CHECK(find_header(h, "authorization").empty());
}

TEST_CASE("constant-time comparison is still a comparison") {
    CHECK(constant_time_equal("abc", "abc"));
    CHECK_FALSE(constant_time_equal("abc", "abd"));
    CHECK_FALSE(constant_time_equal("abc", "ab"));
    CHECK_FALSE(constant_time_equal("", "a"));
    CHECK(constant_time_equal("", ""));
}
