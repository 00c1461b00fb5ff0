// base/socket_address: the one address type; its parse and format rules are what operators see
// in flags, logs, metrics labels and edgectl output.

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include "base/socket_address.hpp"

using namespace edge;

TEST_CASE("listen and target addresses parse in their documented forms") {
    auto a = parse_socket_address("1.2.3.4:80");
    REQUIRE(a);
    CHECK(a->family() == AF_INET);
    CHECK(a->port() == 80);
    CHECK(to_string(*a) == "1.2.3.4:80");

    auto v6 = parse_socket_address("[::1]:8080");
    REQUIRE(v6);
    CHECK(v6->family() == AF_INET6);
    CHECK(v6->is_loopback());
    CHECK(to_string(*v6) == "[::1]:8080");

    CHECK(to_string(*parse_socket_address("*:81")) == "0.0.0.0:81");
    CHECK(to_string(*parse_socket_address(":82")) == "0.0.0.0:82");
    CHECK(parse_socket_address("*:81")->is_any());
    CHECK(to_string(*parse_socket_address("[::]:83")) == "[::]:83");

    auto scoped = parse_socket_address("[fe80::1%1]:9");
    REQUIRE(scoped);
    CHECK(scoped->addr.v6.sin6_scope_id == 1);
    CHECK(to_string(*scoped) == "[fe80::1%1]:9");
}

TEST_CASE("malformed addresses are refused, never half-parsed") {
    for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "::1:80",
                            "[::1]80", "[::1]", "[]:80", "example.com:80", "10.1:80", "1.2.3.4:80x",
                            "[fe80::1%nosuchif0]:9", "256.1.1.1:1"})
        CHECK_FALSE(parse_socket_address(bad).has_value());
}

TEST_CASE("IP literals take a port from the caller; inet_aton shorthands are not literals") {
    CHECK(to_string(*parse_ip_literal("10.0.0.5", 8080)) == "10.0.0.5:8080");
    CHECK(to_string(*parse_ip_literal("fd00::1", 443)) == "[fd00::1]:443");
    CHECK(to_string(*parse_ip_literal("[fd00::1]", 443)) == "[fd00::1]:443");
    CHECK_FALSE(parse_ip_literal("10.1", 1));
    CHECK_FALSE(parse_ip_literal("0x7f.1", 1));
    CHECK_FALSE(parse_ip_literal("host.example", 1));
}

TEST_CASE("one formatting rule: mapped addresses print as IPv4, empty as (none)") {
    sockaddr_in6 s{};
    s.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:192.0.2.7", &s.sin6_addr);
    s.sin6_port = htons(5555);
    auto m = socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&s), sizeof s);
    CHECK(to_string(m) == "192.0.2.7:5555");
    CHECK(host_string(m) == "192.0.2.7");
    CHECK(m.is_v4_or_mapped());
    CHECK(to_string(socket_address{}) == "(none)");
    CHECK(host_string(socket_address{}) == "(none)");
    CHECK(socket_address{}.port() == 0);
}

TEST_CASE("comparison and hashing cover family, address, port and scope") {
    auto a = *parse_socket_address("10.0.0.1:80");
    auto b = *parse_socket_address("10.0.0.1:80");
    auto c = *parse_socket_address("10.0.0.1:81");
    auto d = *parse_socket_address("[::ffff:10.0.0.1]:80");
    CHECK(a == b);
    CHECK_FALSE(a == c);
    CHECK_FALSE(a == d);  // different on the wire
    CHECK(socket_address_hash{}(a) == socket_address_hash{}(b));
    CHECK(socket_address{} == socket_address{});
    sockaddr bogus{};
    bogus.sa_family = AF_UNIX;
    CHECK(socket_address::from_sockaddr(&bogus, sizeof bogus).empty());
}
