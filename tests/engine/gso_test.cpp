// Segmentation offload as the tunnel does it for a TUN device: a TCP/UDP super-packet cut into
// packets whose headers, sequence numbers and checksums are what the far end's kernel accepts,
// and whose payloads put back together are the original. The checksums are checked the way a
// receiver checks them (the sum over the covered bytes, checksum field included, folds to zero).

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/codec/gso.hpp"
#include "engine/codec/ip_checksum.hpp"
#include "tests/engine/packet_bytes.hpp"

using namespace edge::engine;
using namespace edge::engine::test;

namespace {

// The RFC 1071 sum, one 16-bit word at a time: the reference for the fast one.
std::uint16_t slow_checksum(const std::vector<std::uint8_t>& d) {
    std::uint32_t s = 0;
    for (std::size_t i = 0; i < d.size(); i += 2) {
        s += static_cast<std::uint32_t>(d[i]) << 8 | (i + 1 < d.size() ? d[i + 1] : 0);
        s = (s & 0xffff) + (s >> 16);
    }
    return static_cast<std::uint16_t>(~s & 0xffff);
}

// An IPv4 or IPv6 packet with a TCP or UDP header and `payload`, L4 checksum partial (the
// pseudo-header sum only), as a TUN device with checksum offload hands it over.
std::vector<std::uint8_t> super_packet(bool v6, bool tcp,
                                       const std::vector<std::uint8_t>& payload) {
    std::size_t ip = v6 ? 40 : 20, l4 = tcp ? 20 : 8;
    std::vector<std::uint8_t> p(ip + l4 + payload.size(), 0);
    std::size_t total = p.size();
    if (v6) {
        p[0] = 0x60;
        p[4] = static_cast<std::uint8_t>((total - 40) >> 8);
        p[5] = static_cast<std::uint8_t>(total - 40);
        p[6] = tcp ? 6 : 17;
        p[7] = 64;
        inet_pton(AF_INET6, "fd00::1", &p[8]);
        inet_pton(AF_INET6, "fd00::2", &p[24]);
    } else {
        p[0] = 0x45;
        p[2] = static_cast<std::uint8_t>(total >> 8);
        p[3] = static_cast<std::uint8_t>(total);
        p[4] = 0x12;
        p[5] = 0x34;
        p[8] = 64;
        p[9] = tcp ? 6 : 17;
        inet_pton(AF_INET, "10.9.0.1", &p[12]);
        inet_pton(AF_INET, "10.9.0.2", &p[16]);
        std::uint16_t c = checksum_finish(checksum_add(0, {p.data(), 20}));
        p[10] = static_cast<std::uint8_t>(c >> 8);
        p[11] = static_cast<std::uint8_t>(c);
    }
    std::uint8_t* h = &p[ip];
    h[0] = 0x9c;  // source port 40000
    h[1] = 0x40;
    h[2] = 0x1f;  // destination port 8080
    h[3] = 0x90;
    if (tcp) {
        h[4] = 0x10;  // sequence number 0x10000000
        h[12] = 0x50;
        h[13] = 0x80 | 0x10 | 0x08 | 0x01;  // CWR ACK PSH FIN
        h[14] = 0xff;
    }
    std::memcpy(&p[ip + l4], payload.data(), payload.size());
    // The partial checksum: the pseudo-header sum (not inverted), as the kernel leaves it.
    std::uint64_t ps = pseudo_header_sum({p.data(), ip}, tcp ? 6 : 17, total - ip);
    while (ps >> 16)
        ps = (ps & 0xffff) + (ps >> 16);
    std::size_t field = ip + (tcp ? 16 : 6);
    p[field] = static_cast<std::uint8_t>(ps >> 8);
    p[field + 1] = static_cast<std::uint8_t>(ps);
    return p;
}

}  // namespace

TEST_CASE("the fast Internet checksum agrees with RFC 1071's word-at-a-time sum") {
    for (std::size_t n : {0u, 1u, 2u, 7u, 8u, 9u, 20u, 1399u, 1400u, 65535u}) {
        auto d = random_bytes(n, static_cast<std::uint32_t>(n));
        INFO(n);
        CHECK(checksum_finish(checksum_add(0, d)) == slow_checksum(d));
    }
}

TEST_CASE("a TCP super-packet becomes MSS-sized segments a receiver accepts, IPv4 and IPv6") {
    for (bool v6 : {false, true}) {
        INFO((v6 ? "IPv6" : "IPv4"));
        auto payload = random_bytes(10000, 7);
        auto packet = super_packet(v6, true, payload);
        vnet_header h;
        h.flags = vnet_header::f_needs_csum;
        h.gso_type = v6 ? vnet_header::gso_tcpv6 : vnet_header::gso_tcpv4;
        h.gso_size = 1400;
        h.csum_start = v6 ? 40 : 20;
        h.csum_offset = 16;
        gso_splitter s;
        REQUIRE(s.start(h, packet) == gso_error::none);
        REQUIRE(s.count() == 8);  // 7 × 1400 + 200
        std::vector<std::uint8_t> joined;
        std::size_t ip = v6 ? 40 : 20;
        for (std::size_t i = 0; i < s.count(); ++i) {
            std::vector<std::uint8_t> seg(s.length(i));
            s.write(i, seg);
            check_packet(seg, v6, true);
            const std::uint8_t* tcp = &seg[ip];
            CHECK(be32(tcp + 4) == 0x10000000u + i * 1400);
            bool last = i + 1 == s.count();
            CHECK(bool(tcp[13] & 0x01) == last);      // FIN on the last segment only
            CHECK(bool(tcp[13] & 0x08) == last);      // PSH likewise
            CHECK(bool(tcp[13] & 0x80) == (i == 0));  // CWR on the first only
            CHECK((tcp[13] & 0x10) != 0);             // ACK on all
            if (!v6) CHECK(be16(&seg[4]) == 0x1234 + i);
            joined.insert(joined.end(), seg.begin() + ip + 20, seg.end());
        }
        CHECK(joined == payload);
    }
}

TEST_CASE("a UDP super-packet (USO) becomes datagrams with their own lengths and checksums") {
    auto payload = random_bytes(3000, 9);
    auto packet = super_packet(false, false, payload);
    vnet_header h;
    h.flags = vnet_header::f_needs_csum;
    h.gso_type = vnet_header::gso_udp_l4;
    h.gso_size = 1200;
    h.csum_start = 20;
    h.csum_offset = 6;
    gso_splitter s;
    REQUIRE(s.start(h, packet) == gso_error::none);
    REQUIRE(s.count() == 3);
    std::vector<std::uint8_t> joined;
    for (std::size_t i = 0; i < s.count(); ++i) {
        std::vector<std::uint8_t> seg(s.length(i));
        s.write(i, seg);
        check_packet(seg, false, false);
        joined.insert(joined.end(), seg.begin() + 28, seg.end());
    }
    CHECK(joined == payload);
}

TEST_CASE("a packet without GSO gets its partial checksum completed, nothing else") {
    auto payload = random_bytes(500, 3);
    auto packet = super_packet(true, true, payload);
    vnet_header h;
    h.flags = vnet_header::f_needs_csum;
    h.csum_start = 40;
    h.csum_offset = 16;
    gso_splitter s;
    REQUIRE(s.start(h, packet) == gso_error::none);
    REQUIRE(s.count() == 1);
    std::vector<std::uint8_t> out(s.length(0));
    s.write(0, out);
    check_packet(out, true, true);
    CHECK(std::equal(out.begin() + 60, out.end(), payload.begin()));
}

TEST_CASE("malformed packets and headers are refused, never cut") {
    auto packet = super_packet(false, true, random_bytes(3000, 1));
    vnet_header h;
    h.flags = vnet_header::f_needs_csum;
    h.gso_type = vnet_header::gso_tcpv4;
    h.gso_size = 1400;
    h.csum_start = 20;
    h.csum_offset = 16;
    gso_splitter s;
    CHECK(s.start(h, std::span(packet).first(10)) == gso_error::truncated);
    auto lying = packet;
    lying[2] = 0xff;  // total length beyond the bytes
    CHECK(s.start(h, lying) == gso_error::bad_ip);
    vnet_header wrong = h;
    wrong.gso_type = vnet_header::gso_tcpv6;  // an IPv4 packet
    CHECK(s.start(wrong, packet) == gso_error::bad_l4);
    wrong = h;
    wrong.gso_size = 0;
    CHECK(s.start(wrong, packet) == gso_error::bad_gso);
    wrong = h;
    wrong.gso_type = vnet_header::gso_udp;  // UFO: never negotiated, refused
    CHECK(s.start(wrong, packet) == gso_error::bad_gso);
    wrong = h;
    wrong.csum_start = 4000;
    CHECK(s.start(wrong, packet) == gso_error::bad_csum_start);
    CHECK(s.count() == 0);
    auto not_ip = packet;
    not_ip[0] = 0x25;
    CHECK(s.start(h, not_ip) == gso_error::bad_ip);
}

TEST_CASE("the vnet header round-trips in host order") {
    vnet_header h;
    h.flags = 1;
    h.gso_type = 4;
    h.hdr_len = 66;
    h.gso_size = 1380;
    h.csum_start = 40;
    h.csum_offset = 16;
    std::uint8_t b[vnet_header::size];
    h.write(b);
    vnet_header r = vnet_header::read(b);
    CHECK(r.flags == 1);
    CHECK(r.gso_type == 4);
    CHECK(r.hdr_len == 66);
    CHECK(r.gso_size == 1380);
    CHECK(r.csum_start == 40);
    CHECK(r.csum_offset == 16);
}
