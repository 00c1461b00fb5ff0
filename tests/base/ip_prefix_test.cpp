// base/ip_prefix: the networks operators write in AllowedIPs, Address and wg_peers rows.

#include <catch2/catch.hpp>

#include "base/ip_prefix.hpp"

using namespace edge;

TEST_CASE("prefixes parse as wg writes them, host bits cleared") {
    CHECK(to_string(*ip_prefix::parse("10.1.2.3/8")) == "10.0.0.0/8");
    CHECK(to_string(*ip_prefix::parse("10.1.2.3")) == "10.1.2.3/32");
    CHECK(to_string(*ip_prefix::parse("fd00::1/64")) == "fd00::/64");
    CHECK(to_string(*ip_prefix::parse("::/0")) == "::/0");
    CHECK(to_string(*ip_prefix::parse("0.0.0.0/0")) == "0.0.0.0/0");
    for (const char* bad : {"", "10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x",
                            "10.0.0.0/-1", "host/24", "10.1/8", "fe80::1%1/64"})
        CHECK_FALSE(ip_prefix::parse(bad).has_value());
}

TEST_CASE("a prefix contains the addresses of its network and no other") {
    auto p = *ip_prefix::parse("10.20.0.0/16");
    CHECK(p.contains(*parse_ip_literal("10.20.255.1", 80)));
    CHECK_FALSE(p.contains(*parse_ip_literal("10.21.0.1", 80)));
    CHECK_FALSE(p.contains(*parse_ip_literal("fd00::1", 80)));
    auto v6 = *ip_prefix::parse("fd00:1::/32");
    CHECK(v6.contains(*parse_ip_literal("fd00:1:ffff::9", 1)));
    CHECK_FALSE(v6.contains(*parse_ip_literal("fd00:2::1", 1)));
    CHECK(to_string(p.address()) == "10.20.0.0:0");
}
