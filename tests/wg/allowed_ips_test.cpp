// Cryptokey routing (whitepaper §2): the compiled interval table gives the same answer as a
// brute-force longest-prefix scan, for IPv4 and IPv6, outbound (destination) and inbound
// (source); a prefix given to another peer moves; a removed peer's prefixes are gone.
#include <catch2/catch.hpp>

#include <random>

#include "wg/allowed_ips.hpp"

using namespace edge::wg;

namespace {

peer_id brute_force(const std::vector<std::pair<ip_prefix, peer_id>>& entries,
                    const std::array<std::uint8_t, 16>& addr, bool v6) {
    int best = -1;
    peer_id who = no_peer;
    for (const auto& [p, peer] : entries) {
        if (p.is_v6 != v6) continue;
        bool match = true;
        for (int bit = 0; bit < p.length && match; ++bit) {
            const int mask = 0x80 >> (bit % 8);
            match = (p.bytes[std::size_t(bit / 8)] & mask) == (addr[std::size_t(bit / 8)] & mask);
        }
        if (match && p.length > best) {
            best = p.length;
            who = peer;
        }
    }
    return who;
}

}  // namespace

TEST_CASE("prefixes parse as wg prints them, host bits cleared") {
    CHECK(to_string(*ip_prefix::parse("10.1.2.3/8")) == "10.0.0.0/8");
    CHECK(to_string(*ip_prefix::parse("fd00::1/64")) == "fd00::/64");
    CHECK(to_string(*ip_prefix::parse("10.1.2.3")) == "10.1.2.3/32");
    CHECK(to_string(*ip_prefix::parse("::/0")) == "::/0");
    for (const char* bad :
         {"10.0.0.0/33", "fd00::/129", "10.0.0/8", "x", "10.0.0.0/", "/8", "10.0.0.0/8x"})
        CHECK_FALSE(ip_prefix::parse(bad).has_value());
}

TEST_CASE("lookups agree with a brute-force longest-prefix scan") {
    std::mt19937_64 rng(42);
    for (bool v6 : {false, true}) {
        std::vector<std::pair<ip_prefix, peer_id>> entries;
        allowed_ips set;
        for (int i = 0; i < 3000; ++i) {
            ip_prefix p;
            p.is_v6 = v6;
            const int max = v6 ? 128 : 32;
            p.length = std::uint8_t(rng() % (max + 1));
            // Cluster the prefixes so that many nest and share buckets.
            for (int b = 0; b < (v6 ? 16 : 4); ++b)
                p.bytes[std::size_t(b)] = std::uint8_t(b < 2 ? (rng() % 4) : rng());
            if (v6) p.bytes[0] = 0xfd;
            p = *ip_prefix::parse(to_string(p).substr(0, to_string(p).find('/')) + "/" +
                                  std::to_string(p.length));
            const peer_id who = peer_id(rng() % 50);
            set.insert(p, who);
        }
        for (int peer = 0; peer < 50; ++peer)
            for (const auto& p : set.of_peer(peer_id(peer)))
                entries.emplace_back(p, peer_id(peer));
        auto table = set.table();
        for (int i = 0; i < 20000; ++i) {
            std::array<std::uint8_t, 16> a{};
            for (int b = 0; b < (v6 ? 16 : 4); ++b)
                a[std::size_t(b)] = std::uint8_t(b < 2 ? (rng() % 4) : rng());
            if (v6 && i % 3 != 0) a[0] = 0xfd;
            const peer_id want = brute_force(entries, a, v6);
            const peer_id got =
                v6 ? table->lookup_v6(a.data())
                   : table->lookup_v4(std::uint32_t(a[0]) << 24 | std::uint32_t(a[1]) << 16 |
                                      std::uint32_t(a[2]) << 8 | a[3]);
            INFO((v6 ? "v6" : "v4") << " lookup " << i);
            REQUIRE(got == want);
        }
    }
}

TEST_CASE("destination and source of a packet are looked up in the same table") {
    allowed_ips set;
    set.insert(*ip_prefix::parse("10.0.0.0/8"), 1);
    set.insert(*ip_prefix::parse("10.1.0.0/16"), 2);
    set.insert(*ip_prefix::parse("fd00::/8"), 3);
    set.insert(*ip_prefix::parse("0.0.0.0/0"), 4);
    auto t = set.table();
    std::array<std::uint8_t, 20> v4{0x45};
    const std::uint8_t src[4] = {10, 1, 2, 3}, dst[4] = {10, 2, 0, 1};
    std::copy(src, src + 4, v4.begin() + 12);
    std::copy(dst, dst + 4, v4.begin() + 16);
    CHECK(t->source_peer(v4) == 2);
    CHECK(t->destination_peer(v4) == 1);
    v4[16] = 8;  // 8.2.0.1: only the default route
    CHECK(t->destination_peer(v4) == 4);
    std::array<std::uint8_t, 40> v6{0x60};
    v6[8] = 0xfd;
    v6[24] = 0xfe;
    CHECK(t->source_peer(v6) == 3);
    CHECK(t->destination_peer(v6) == no_peer);
    CHECK(t->destination_peer(std::span<const std::uint8_t>(v4.data(), 19)) == no_peer);
}

TEST_CASE("a prefix given to another peer moves; a removed peer's prefixes go") {
    allowed_ips set;
    set.insert(*ip_prefix::parse("10.0.0.0/24"), 1);
    set.insert(*ip_prefix::parse("10.0.1.0/24"), 1);
    set.insert(*ip_prefix::parse("10.0.0.0/24"), 2);
    CHECK(set.table()->lookup_v4(0x0a000005) == 2);
    CHECK(set.of_peer(1).size() == 1);
    set.remove_peer(2);
    CHECK(set.table()->lookup_v4(0x0a000005) == no_peer);
    CHECK(set.table()->lookup_v4(0x0a000105) == 1);
    CHECK(allowed_ips().table()->lookup_v4(0) == no_peer);
}
