// Receive-side coalescing as the tunnel does it before writing to a TUN device with virtio-net
// headers (engine/codec/tcp_coalesce.hpp, used by engine/tunnel/inbound.cpp): consecutive
// segments of one TCP flow become one GSO super-packet whose headers the kernel accepts and whose
// payload is theirs in order; anything GRO would not merge goes on alone. The segments are real
// IPv4/IPv6 TCP packets with correct checksums, and the super-packets are cut again with the
// splitter of the other direction (engine/codec/gso.hpp): a round trip gives back the segments.

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/codec/gso.hpp"
#include "engine/codec/ip_checksum.hpp"
#include "engine/codec/tcp_coalesce.hpp"
#include "tests/engine/packet_bytes.hpp"

using namespace edge::engine;
using namespace edge::engine::test;

namespace {

constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10, urg = 0x20,
                       ece = 0x40, cwr = 0x80;

// One TCP segment as it comes out of the tunnel: every field a test may vary.
struct segment_spec {
    bool v6 = false;
    std::string src, dst;  // empty: the flow's defaults
    std::uint16_t sport = 40000, dport = 443;
    std::uint32_t seq = 0x01000000;
    std::uint32_t ack_no = 0x55667788;
    std::uint16_t window = 502;
    std::uint8_t flags = ack;
    std::uint16_t urgent = 0;
    packet options;           // TCP options, a multiple of 4 bytes
    packet ip_options;        // IPv4 options, a multiple of 4 bytes
    bool hop_by_hop = false;  // IPv6: an (empty) hop-by-hop extension header before TCP
    std::uint16_t ip_id = 0x1000;
    std::uint16_t frag = 0x4000;  // IPv4 flags and fragment offset: DF, as Linux sends
    std::uint8_t tos = 0;         // IPv4 TOS / IPv6 traffic class
    std::uint32_t flow_label = 0x12345;
    std::uint8_t ttl = 64;
};

// The bytes of a segment with `payload`, IP header and TCP checksums complete.
packet build(const segment_spec& s, const packet& payload) {
    const std::size_t ext = s.v6 && s.hop_by_hop ? 8 : 0;
    const std::size_t ip = (s.v6 ? 40 : 20 + s.ip_options.size()) + ext;
    const std::size_t tcp_len = 20 + s.options.size();
    packet p(ip + tcp_len + payload.size(), 0);
    const std::size_t total = p.size();
    if (s.v6) {
        put32(&p[0], 6u << 28 | std::uint32_t(s.tos) << 20 | (s.flow_label & 0xfffff));
        put16(&p[4], static_cast<std::uint16_t>(total - 40));
        p[6] = s.hop_by_hop ? 0 : 6;
        p[7] = s.ttl;
        inet_pton(AF_INET6, s.src.empty() ? "fd00::1" : s.src.c_str(), &p[8]);
        inet_pton(AF_INET6, s.dst.empty() ? "fd00::2" : s.dst.c_str(), &p[24]);
        if (s.hop_by_hop) {
            p[40] = 6;  // next header TCP, length 0 (8 bytes), a PadN of 4
            p[42] = 1;
            p[43] = 4;
        }
    } else {
        p[0] = static_cast<std::uint8_t>(0x40 | (20 + s.ip_options.size()) / 4);
        p[1] = s.tos;
        put16(&p[2], static_cast<std::uint16_t>(total));
        put16(&p[4], s.ip_id);
        put16(&p[6], s.frag);
        p[8] = s.ttl;
        p[9] = 6;
        inet_pton(AF_INET, s.src.empty() ? "10.9.0.1" : s.src.c_str(), &p[12]);
        inet_pton(AF_INET, s.dst.empty() ? "10.9.0.2" : s.dst.c_str(), &p[16]);
        std::copy(s.ip_options.begin(), s.ip_options.end(), p.begin() + 20);
        put16(&p[10], checksum_finish(checksum_add(0, {p.data(), ip})));
    }
    std::uint8_t* t = &p[ip];
    put16(t, s.sport);
    put16(t + 2, s.dport);
    put32(t + 4, s.seq);
    put32(t + 8, s.ack_no);
    t[12] = static_cast<std::uint8_t>(tcp_len / 4 << 4);
    t[13] = s.flags;
    put16(t + 14, s.window);
    put16(t + 18, s.urgent);
    std::copy(s.options.begin(), s.options.end(), t + 20);
    std::copy(payload.begin(), payload.end(), t + tcp_len);
    const std::size_t l4 = total - ip;
    std::uint64_t sum = pseudo_header_sum({p.data(), ip}, 6, l4);
    put16(t + 16, checksum_finish(checksum_add(sum, {t, l4})));
    return p;
}

// A stream of one flow: a segment per size, consecutive sequence numbers and IP ids, PSH on the
// last (as a sender's TSO cuts a write) unless `push_last` is false, payloads consecutive slices
// of `data`.
std::vector<packet> stream(const segment_spec& base, const std::vector<std::size_t>& sizes,
                           const packet& data, bool push_last = true) {
    std::vector<packet> out;
    segment_spec s = base;
    std::size_t at = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        s.flags = push_last && i + 1 == sizes.size() ? base.flags | psh : base.flags;
        packet payload(data.begin() + static_cast<std::ptrdiff_t>(at),
                       data.begin() + static_cast<std::ptrdiff_t>(at + sizes[i]));
        out.push_back(build(s, payload));
        s.seq += static_cast<std::uint32_t>(sizes[i]);
        s.ip_id = static_cast<std::uint16_t>(s.ip_id + 1);
        at += sizes[i];
    }
    return out;
}

// The tunnel's receive loop (write_to_tun in engine/tunnel/inbound.cpp): the runs a batch of
// packets is cut into, as their lengths (1: the packet goes on alone).
std::vector<std::size_t> runs(const std::vector<packet>& batch) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < batch.size();) {
        std::vector<tcp_segment> run{tcp_segment::parse(batch[i])};
        if (run[0].valid) {
            std::size_t bytes = run[0].bytes.size();
            for (std::size_t next = i + 1; next < batch.size(); ++next) {
                tcp_segment s = tcp_segment::parse(batch[next]);
                if (!continues(run[0], run.back(), s, bytes)) break;
                bytes += s.payload;
                run.push_back(s);
            }
        }
        out.push_back(run.size());
        i += run.size();
    }
    return out;
}

// The one packet (virtio-net header, then IP) a batch that is one run is written as.
packet coalesce(const std::vector<packet>& batch) {
    REQUIRE(runs(batch) == std::vector<std::size_t>{batch.size()});
    std::vector<tcp_segment> run;
    for (const packet& p : batch)
        run.push_back(tcp_segment::parse(p));
    packet out(coalesced_size(run) + 64, 0xee);  // room to spare: nothing written past the end
    std::size_t n = write_coalesced(run, out);
    CHECK(n == coalesced_size(run));
    CHECK(out[n] == 0xee);
    out.resize(n);
    return out;
}

// The timestamps option (RFC 7323) behind two NOPs, as Linux sends it on every segment.
packet timestamps(std::uint32_t tsval, std::uint32_t tsecr) {
    packet o{1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
    put32(&o[4], tsval);
    put32(&o[8], tsecr);
    return o;
}

}  // namespace

TEST_CASE("consecutive segments of one flow become one GSO packet, IPv4 and IPv6") {
    for (bool v6 : {false, true}) {
        INFO((v6 ? "IPv6" : "IPv4"));
        segment_spec base;
        base.v6 = v6;
        const std::vector<std::size_t> sizes{1400, 1400, 1400, 1400, 1400, 600};
        const packet data = random_bytes(7600, 11);
        auto batch = stream(base, sizes, data);
        for (const packet& p : batch)
            check_packet(p, v6);  // the inputs are what a receiver accepts

        packet out = coalesce(batch);
        const std::size_t ip = v6 ? 40 : 20;
        REQUIRE(out.size() == vnet_header::size + ip + 20 + 7600);
        vnet_header h = vnet_header::read(out);
        CHECK(h.flags == vnet_header::f_needs_csum);
        CHECK(h.gso_type == (v6 ? vnet_header::gso_tcpv6 : vnet_header::gso_tcpv4));
        CHECK(h.gso_size == 1400);
        CHECK(h.hdr_len == ip + 20);
        CHECK(h.csum_start == ip);
        CHECK(h.csum_offset == 16);

        std::span<std::uint8_t> pkt = std::span(out).subspan(vnet_header::size);
        const std::uint8_t* first = batch[0].data();
        if (!v6) {
            CHECK(be16(&pkt[2]) == 20 + 20 + 7600);  // total length
            CHECK(be16(&pkt[4]) == 0x1000);          // the first segment's id
            CHECK(checksum_finish(checksum_add(0, pkt.first(20))) == 0);
            CHECK(std::memcmp(&pkt[6], first + 6, 4) == 0);  // DF, TTL, protocol
            CHECK(std::memcmp(&pkt[12], first + 12, 8) == 0);
        } else {
            CHECK(be16(&pkt[4]) == 20 + 7600);  // payload length
            CHECK(std::memcmp(&pkt[0], first, 4) == 0);
            CHECK(std::memcmp(&pkt[6], first + 6, 34) == 0);
        }
        const std::uint8_t* t = &pkt[ip];
        CHECK(be16(t) == 40000);
        CHECK(be16(t + 2) == 443);
        CHECK(be32(t + 4) == 0x01000000u);  // the first segment's sequence number
        CHECK(be32(t + 8) == 0x55667788u);
        CHECK(t[12] == 0x50);
        CHECK(t[13] == (ack | psh));  // the run ends with the last segment's push
        CHECK(be16(t + 14) == 502);
        CHECK(packet(pkt.begin() + static_cast<std::ptrdiff_t>(ip + 20), pkt.end()) == data);

        // The checksum is partial, as the kernel leaves one for offload: the pseudo-header sum
        // over the whole length, folded, not inverted. Completing it gives what a receiver
        // accepts.
        std::uint64_t ps = pseudo_header_sum(pkt.first(ip), 6, 20 + 7600);
        while (ps >> 16)
            ps = (ps & 0xffff) + (ps >> 16);
        CHECK(be16(t + 16) == ps);
        REQUIRE(complete_checksum(pkt, h.csum_start, h.csum_offset));
        check_packet(pkt, v6);
    }
}

TEST_CASE("round trip: the splitter cuts a coalesced packet back into the original segments") {
    for (bool v6 : {false, true}) {
        for (bool with_options : {false, true}) {
            INFO((v6 ? "IPv6" : "IPv4") << (with_options ? ", timestamps" : ""));
            segment_spec base;
            base.v6 = v6;
            if (with_options) base.options = timestamps(123456, 654321);
            // Odd sizes (an odd byte at the end of each checksum), and a one-byte last segment.
            const std::vector<std::size_t> sizes{1387, 1387, 1387, 1387, 1};
            auto batch = stream(base, sizes, random_bytes(5549, 5));
            packet out = coalesce(batch);
            vnet_header h = vnet_header::read(out);
            CHECK(h.hdr_len == (v6 ? 40 : 20) + 20 + base.options.size());
            gso_splitter s;
            REQUIRE(s.start(h, std::span(out).subspan(vnet_header::size)) == gso_error::none);
            REQUIRE(s.count() == batch.size());
            for (std::size_t i = 0; i < s.count(); ++i) {
                INFO("segment " << i);
                packet seg(s.length(i));
                s.write(i, seg);
                check_packet(seg, v6);
                // Byte for byte: headers, sequence numbers, ids, flags, checksums, payload.
                CHECK(seg == batch[i]);
            }
        }
    }
}

TEST_CASE("segments that differ from the first in what GRO compares are not joined") {
    const packet data = random_bytes(4000, 2);
    // Each case changes the second of two otherwise consecutive segments of one flow (first:
    // 1400 bytes and ACK; second: 1400 bytes, ACK, the next sequence number).
    using change = std::function<void(segment_spec&)>;
    const std::vector<std::pair<const char*, change>> v4_cases = {
        {"another source port", [](segment_spec& s) { s.sport = 40001; }},
        {"another destination port", [](segment_spec& s) { s.dport = 444; }},
        {"another source address", [](segment_spec& s) { s.src = "10.9.0.3"; }},
        {"another destination address", [](segment_spec& s) { s.dst = "10.9.0.4"; }},
        {"a sequence gap", [](segment_spec& s) { s.seq += 1; }},
        {"a retransmission (same sequence number)", [](segment_spec& s) { s.seq -= 1400; }},
        {"another acknowledgement", [](segment_spec& s) { s.ack_no += 1400; }},
        {"another window", [](segment_spec& s) { s.window = 503; }},
        {"timestamps it has, the first not", [](segment_spec& s) { s.options = timestamps(1, 2); }},
        {"SYN", [](segment_spec& s) { s.flags |= syn; }},
        {"FIN", [](segment_spec& s) { s.flags |= fin; }},
        {"RST", [](segment_spec& s) { s.flags |= rst; }},
        {"URG",
         [](segment_spec& s) {
             s.flags |= urg;
             s.urgent = 10;
         }},
        {"ECE", [](segment_spec& s) { s.flags |= ece; }},
        {"CWR", [](segment_spec& s) { s.flags |= cwr; }},
        {"no ACK", [](segment_spec& s) { s.flags = psh; }},
        {"IP options",
         [](segment_spec& s) {
             s.ip_options = {1, 1, 1, 0};
         }},
        {"a fragment (more fragments)", [](segment_spec& s) { s.frag = 0x2000; }},
        {"a fragment (an offset)", [](segment_spec& s) { s.frag = 0x00b9; }},
        {"no DF", [](segment_spec& s) { s.frag = 0; }},
        {"another TTL", [](segment_spec& s) { s.ttl = 63; }},
        {"a congestion mark (ECN CE)", [](segment_spec& s) { s.tos = 0x03; }},
        {"IPv6", [](segment_spec& s) { s.v6 = true; }},
    };
    const std::vector<std::pair<const char*, change>> v6_cases = {
        {"another source address", [](segment_spec& s) { s.src = "fd00::3"; }},
        {"another destination address", [](segment_spec& s) { s.dst = "fd00::4"; }},
        {"another flow label", [](segment_spec& s) { s.flow_label = 0x54321; }},
        {"another traffic class", [](segment_spec& s) { s.tos = 0x03; }},
        {"another hop limit", [](segment_spec& s) { s.ttl = 63; }},
        {"an extension header", [](segment_spec& s) { s.hop_by_hop = true; }},
        {"a sequence gap", [](segment_spec& s) { s.seq += 1; }},
        {"another acknowledgement", [](segment_spec& s) { s.ack_no += 1; }},
        {"FIN", [](segment_spec& s) { s.flags |= fin; }},
        {"IPv4", [](segment_spec& s) { s.v6 = false; }},
    };
    for (bool v6 : {false, true}) {
        segment_spec first;
        first.v6 = v6;
        const packet a = build(first, packet(data.begin(), data.begin() + 1400));
        const packet b_data(data.begin() + 1400, data.begin() + 2800);
        segment_spec second = first;
        second.seq += 1400;
        second.ip_id = static_cast<std::uint16_t>(first.ip_id + 1);
        // The unchanged pair is joined: each change below is what keeps them apart.
        REQUIRE(runs({a, build(second, b_data)}) == std::vector<std::size_t>{2});
        for (const auto& [what, how] : v6 ? v6_cases : v4_cases) {
            INFO((v6 ? "IPv6: " : "IPv4: ") << what);
            segment_spec changed = second;
            how(changed);
            const packet b = build(changed, b_data);
            CHECK(runs({a, b}) == std::vector<std::size_t>{1, 1});
            tcp_segment pa = tcp_segment::parse(a), pb = tcp_segment::parse(b);
            CHECK_FALSE(continues(pa, pa, pb, a.size()));
        }
    }
}

TEST_CASE("segments that cannot start a run go on alone, and what follows them starts one") {
    const packet data = random_bytes(6000, 4);
    const std::vector<std::pair<const char*, std::uint8_t>> flags = {
        {"SYN", ack | syn}, {"FIN", ack | fin}, {"RST", ack | rst}, {"URG", ack | urg}};
    for (const auto& [what, f] : flags) {
        INFO(what << " on the first of four");
        auto batch = stream({}, {1000, 1000, 1000, 1000}, data);
        segment_spec s;
        s.flags = f;
        batch[0] = build(s, packet(data.begin(), data.begin() + 1000));
        CHECK_FALSE(tcp_segment::parse(batch[0]).valid);
        CHECK(runs(batch) == std::vector<std::size_t>{1, 3});
    }
    {
        INFO("IP options on every segment");
        segment_spec s;
        s.ip_options = {1, 1, 1, 0};
        CHECK_FALSE(tcp_segment::parse(stream(s, {1000}, data)[0]).valid);
        CHECK(runs(stream(s, {1000, 1000, 1000}, data)) == std::vector<std::size_t>{1, 1, 1});
    }
    {
        INFO("fragments (all alike) on every segment");
        segment_spec s;
        s.frag = 0x2000;
        CHECK_FALSE(tcp_segment::parse(stream(s, {1000}, data)[0]).valid);
        CHECK(runs(stream(s, {1000, 1000, 1000}, data)) == std::vector<std::size_t>{1, 1, 1});
    }
    {
        INFO("an IPv6 extension header on every segment");
        segment_spec s;
        s.v6 = true;
        s.hop_by_hop = true;
        CHECK_FALSE(tcp_segment::parse(stream(s, {1000}, data)[0]).valid);
        CHECK(runs(stream(s, {1000, 1000, 1000}, data)) == std::vector<std::size_t>{1, 1, 1});
    }
    {
        INFO("pure ACKs: no payload");
        segment_spec s;
        packet empty;
        CHECK_FALSE(tcp_segment::parse(build(s, empty)).valid);
        CHECK(runs({build(s, empty), build(s, empty)}) == std::vector<std::size_t>{1, 1});
    }
    {
        INFO("a packet shorter than its IP length says");
        auto batch = stream({}, {1000, 1000}, data);
        batch[0].resize(900);
        CHECK_FALSE(tcp_segment::parse(batch[0]).valid);
        CHECK(runs(batch) == std::vector<std::size_t>{1, 1});
    }
}

TEST_CASE("a run is all of one size but its last: a shorter segment or a push ends it") {
    const packet data = random_bytes(10000, 6);
    // No push anywhere: only the sizes end runs here.
    auto without_push = [&](const std::vector<std::size_t>& sizes) {
        return runs(stream({}, sizes, data, false));
    };
    // A shorter one is the last of its run; the next starts a new one.
    CHECK(without_push({1400, 1400, 600, 1400, 1400}) == std::vector<std::size_t>{3, 2});
    CHECK(without_push({1400, 600, 600}) == std::vector<std::size_t>{2, 1});
    // A larger one than the first never joins.
    CHECK(without_push({1000, 1000, 1400, 1400}) == std::vector<std::size_t>{2, 2});
    CHECK(without_push({1000, 1001}) == std::vector<std::size_t>{1, 1});
    // Equal sizes throughout, no push: one run.
    CHECK(without_push({1400, 1400, 1400, 1400}) == std::vector<std::size_t>{4});

    // A push ends the run with the segment that carries it: with PSH on the second of four
    // (each written by its own sendmsg), two runs of two.
    auto batch = stream({}, {1400, 1400}, data);
    segment_spec s;
    s.seq += 2800;
    s.ip_id = static_cast<std::uint16_t>(s.ip_id + 2);
    auto more = stream(s, {1400, 1400}, packet(data.begin() + 2800, data.end()));
    batch.insert(batch.end(), more.begin(), more.end());
    CHECK(runs(batch) == std::vector<std::size_t>{2, 2});
    // A push on the first: nothing joins it, and the segments after it form their own run.
    batch = stream({}, {1400}, data);
    s = segment_spec{};
    s.seq += 1400;
    s.ip_id = static_cast<std::uint16_t>(s.ip_id + 1);
    more = stream(s, {1400, 1400}, packet(data.begin() + 1400, data.end()));
    batch.insert(batch.end(), more.begin(), more.end());
    CHECK(runs(batch) == std::vector<std::size_t>{1, 2});
}

TEST_CASE("a run stops where it would pass 64 KiB of IP packet") {
    for (bool v6 : {false, true}) {
        INFO((v6 ? "IPv6" : "IPv4"));
        const std::size_t headers = (v6 ? 40 : 20) + 20;
        // 46 full segments and a last that brings the IP packet to 65,535 bytes exactly.
        const std::size_t fits = 65535 - headers - 46 * 1400;
        const packet data = random_bytes(46 * 1400 + fits + 1, 8);
        segment_spec base;
        base.v6 = v6;
        std::vector<std::size_t> sizes(46, 1400);
        sizes.push_back(fits);
        auto batch = stream(base, sizes, data);
        REQUIRE(runs(batch) == std::vector<std::size_t>{47});
        packet out = coalesce(batch);
        CHECK(out.size() == vnet_header::size + 65535);
        std::span<std::uint8_t> pkt = std::span(out).subspan(vnet_header::size);
        if (!v6)
            CHECK(be16(&pkt[2]) == 65535);
        else
            CHECK(be16(&pkt[4]) == 65535 - 40);
        gso_splitter s;
        REQUIRE(s.start(vnet_header::read(out), pkt) == gso_error::none);
        REQUIRE(s.count() == 47);
        packet last(s.length(46));
        s.write(46, last);
        CHECK(last == batch[46]);

        // One byte more and the last segment goes on alone.
        sizes.back() = fits + 1;
        CHECK(runs(stream(base, sizes, data)) == std::vector<std::size_t>{46, 1});
    }
}

TEST_CASE("runs that are joined although something looks unusual") {
    const packet data = random_bytes(6000, 9);
    {
        INFO("the same timestamps on every segment");
        segment_spec s;
        s.options = timestamps(77, 88);
        CHECK(runs(stream(s, {1000, 1000, 1000}, data)) == std::vector<std::size_t>{3});
    }
    {
        INFO("timestamps that differ between segments");
        segment_spec s;
        s.options = timestamps(77, 88);
        auto batch = stream(s, {1000, 1000, 1000}, data);
        s.options = timestamps(78, 88);
        s.seq += 2000;
        s.ip_id = static_cast<std::uint16_t>(s.ip_id + 2);
        batch[2] = build(s, packet(data.begin() + 2000, data.begin() + 3000));
        CHECK(runs(batch) == std::vector<std::size_t>{2, 1});
    }
    {
        INFO("sequence numbers that wrap around");
        segment_spec s;
        s.seq = 0xffffffffu - 1499;
        auto batch = stream(s, {1000, 1000, 1000}, data);
        CHECK(runs(batch) == std::vector<std::size_t>{3});
        packet out = coalesce(batch);
        gso_splitter g;
        REQUIRE(g.start(vnet_header::read(out), std::span(out).subspan(vnet_header::size)) ==
                gso_error::none);
        REQUIRE(g.count() == 3);
        packet third(g.length(2));
        g.write(2, third);
        CHECK(third == batch[2]);
        CHECK(be32(&third[24]) == 500u);  // past 2^32
    }
    {
        INFO("IPv4 ids that do not follow on (only the lengths, ids and checksums may differ)");
        segment_spec s;
        auto batch = stream(s, {1000, 1000}, data);
        s.seq += 1000;
        s.ip_id = 0x7777;
        batch[1] = build(s, packet(data.begin() + 1000, data.begin() + 2000));
        CHECK(runs(batch) == std::vector<std::size_t>{2});
    }
}
