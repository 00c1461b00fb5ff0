#pragma once
// Byte-level helpers for the tests of the tunnel's packet codecs (gso_test, tcp_coalesce_test):
// big-endian fields, seeded payloads, and the checks a receiving kernel makes of a packet.

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "engine/codec/ip_checksum.hpp"

namespace edge::engine::test {

using packet = std::vector<std::uint8_t>;

inline std::uint16_t be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
inline std::uint32_t be32(const std::uint8_t* p) {
    return std::uint32_t(be16(p)) << 16 | be16(p + 2);
}
inline void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::uint8_t* p, std::uint32_t v) {
    put16(p, static_cast<std::uint16_t>(v >> 16));
    put16(p + 2, static_cast<std::uint16_t>(v));
}

inline packet random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    packet v(n);
    for (auto& b : v)
        b = static_cast<std::uint8_t>(rng());
    return v;
}

/// What a receiving kernel checks of a complete IPv4/IPv6 packet carrying TCP (or UDP): the IP
/// length, the IPv4 header checksum, the L4 checksum over the pseudo-header (and UDP's length).
inline void check_packet(std::span<const std::uint8_t> p, bool v6, bool tcp = true) {
    const std::size_t ip = v6 ? 40 : 20;
    if (!v6) {
        CHECK(be16(&p[2]) == p.size());
        CHECK(checksum_finish(checksum_add(0, {p.data(), 20})) == 0);
    } else {
        CHECK(be16(&p[4]) == p.size() - 40);
    }
    std::uint64_t sum = pseudo_header_sum({p.data(), ip}, tcp ? 6 : 17, p.size() - ip);
    CHECK(checksum_finish(checksum_add(sum, p.subspan(ip))) == 0);
    if (!tcp) CHECK(be16(&p[ip + 4]) == p.size() - ip);
}

}  // namespace edge::engine::test
