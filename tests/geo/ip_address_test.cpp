#include "geo/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

using edge::geo::ip_address;
using edge::geo::ip_network;
using edge::geo::network_error;

TEST_CASE("IPv4 and IPv4-mapped IPv6 are the same address") {
    auto a = ip_address::parse("192.0.2.7");
    auto b = ip_address::parse("::ffff:192.0.2.7");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == *b);
    CHECK(a->is_v4());
    CHECK(a->v4_host_order() == 0xc0000207u);
    CHECK(a->str() == "192.0.2.7");
    CHECK(*a == ip_address::from_v4(0xc0000207u));
}

TEST_CASE("IPv6 addresses parse and print; IPv4-compatible is not IPv4") {
    auto a = ip_address::parse("2001:db8::1");
    REQUIRE(a);
    CHECK_FALSE(a->is_v4());
    CHECK(a->str() == "2001:db8::1");
    auto compat = ip_address::parse("::192.0.2.7");
    REQUIRE(compat);
    CHECK_FALSE(compat->is_v4());
    CHECK_FALSE(ip_address::parse(""));
    CHECK_FALSE(ip_address::parse("1.2.3"));
    CHECK_FALSE(ip_address::parse("1.2.3.4.5"));
    CHECK_FALSE(ip_address::parse("2001:db8::1::2"));
    CHECK_FALSE(ip_address::parse("host.example"));
    CHECK_FALSE(ip_address::parse(std::string(100, '1')));
}

TEST_CASE("from_sockaddr maps both families and refuses others") {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
    auto a = ip_address::from_sockaddr(reinterpret_cast<sockaddr*>(&in));
    REQUIRE(a);
    CHECK(a->str() == "10.1.2.3");

    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr);
    auto b = ip_address::from_sockaddr(reinterpret_cast<sockaddr*>(&in6));
    REQUIRE(b);
    CHECK(*a == *b);

    sockaddr un{};
    un.sa_family = AF_UNIX;
    CHECK_FALSE(ip_address::from_sockaddr(&un));
    CHECK_FALSE(ip_address::from_sockaddr(nullptr));
}

TEST_CASE("networks: prefixes, host bits, containment") {
    auto n = ip_network::parse("10.0.0.0/8");
    REQUIRE(n);
    CHECK(n->is_v4());
    CHECK(n->prefix == 104);
    CHECK(n->v4_prefix() == 8);
    CHECK(n->str() == "10.0.0.0/8");
    CHECK(n->contains(*ip_address::parse("10.255.1.1")));
    CHECK_FALSE(n->contains(*ip_address::parse("11.0.0.0")));
    CHECK(n->last() == *ip_address::parse("10.255.255.255"));

    auto mapped = ip_network::parse("::ffff:10.0.0.0/104");
    REQUIRE(mapped);
    CHECK(*mapped == *n);

    auto host = ip_network::parse("192.0.2.1");
    REQUIRE(host);
    CHECK(host->v4_prefix() == 32);

    auto v6 = ip_network::parse("2001:db8::/32");
    REQUIRE(v6);
    CHECK_FALSE(v6->is_v4());
    CHECK(v6->str() == "2001:db8::/32");
    CHECK(v6->contains(*ip_address::parse("2001:db8:ffff::1")));

    auto all = ip_network::parse("::/0");
    REQUIRE(all);
    CHECK(all->contains(*ip_address::parse("1.2.3.4")));

    CHECK(ip_network::parse("10.1.0.0/8").error() == network_error::host_bits_set);
    CHECK(ip_network::parse("10.0.0.0/33").error() == network_error::bad_prefix);
    CHECK(ip_network::parse("2001:db8::/129").error() == network_error::bad_prefix);
    CHECK(ip_network::parse("10.0.0.0/").error() == network_error::bad_prefix);
    CHECK(ip_network::parse("10.0.0.0/8x").error() == network_error::bad_prefix);
    CHECK(ip_network::parse("10.0.0/8").error() == network_error::bad_address);
}
