#include "engine/codec/tcp_coalesce.hpp"

#include <cstring>

#include "engine/codec/gso.hpp"
#include "engine/codec/ip_checksum.hpp"

namespace edge::engine {

namespace {

constexpr std::uint8_t tcp_ack = 0x10;
constexpr std::uint8_t tcp_psh = 0x08;
constexpr std::size_t max_ip_packet = 65535;

std::uint16_t load16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
void store16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

bool same(const std::uint8_t* a, const std::uint8_t* b, std::size_t from, std::size_t to) noexcept {
    return std::memcmp(a + from, b + from, to - from) == 0;
}

}  // namespace

tcp_segment tcp_segment::parse(std::span<const std::uint8_t> p) noexcept {
    tcp_segment s;
    if (p.size() < 40) return s;
    std::size_t total = 0;
    if ((p[0] >> 4) == 4) {
        // No IP options, not a fragment, TCP.
        if (p[0] != 0x45 || p[9] != 6 || (load16(&p[6]) & 0x3fff) != 0) return s;
        total = load16(&p[2]);
        s.ip_len = 20;
    } else if ((p[0] >> 4) == 6) {
        if (p.size() < 60 || p[6] != 6) return s;  // TCP right after the fixed header
        total = 40 + std::size_t(load16(&p[4]));
        s.ip_len = 40;
        s.v6 = true;
    } else {
        return s;
    }
    if (total > p.size() || total < std::size_t(s.ip_len) + 20) return s;
    const std::uint8_t* tcp = p.data() + s.ip_len;
    s.tcp_len = static_cast<std::uint16_t>((tcp[12] >> 4) * 4);
    if (s.tcp_len < 20 || std::size_t(s.ip_len) + s.tcp_len > total) return s;
    s.flags = tcp[13];
    if ((s.flags & ~(tcp_ack | tcp_psh)) != 0 || !(s.flags & tcp_ack)) return s;
    s.seq = std::uint32_t(load16(tcp + 4)) << 16 | load16(tcp + 6);
    s.payload = total - s.ip_len - s.tcp_len;
    if (s.payload == 0) return s;
    s.bytes = p.first(total);
    s.valid = true;
    return s;
}

bool continues(const tcp_segment& first, const tcp_segment& last, const tcp_segment& next,
               std::size_t run_bytes) noexcept {
    if (!first.valid || !next.valid || next.v6 != first.v6) return false;
    if (next.ip_len != first.ip_len || next.tcp_len != first.tcp_len) return false;
    if (last.flags & tcp_psh) return false;           // a push ends a run
    if (last.payload != first.payload) return false;  // only the final segment may be short
    if (next.payload > first.payload) return false;
    if (next.seq != last.seq + static_cast<std::uint32_t>(last.payload)) return false;
    if (run_bytes + next.payload > max_ip_packet) return false;
    const std::uint8_t* a = first.bytes.data();
    const std::uint8_t* b = next.bytes.data();
    // IP: all but the lengths, the IPv4 id and checksum.
    if (!first.v6) {
        if (!same(a, b, 0, 2) || !same(a, b, 6, 10) || !same(a, b, 12, 20)) return false;
    } else if (!same(a, b, 0, 4) || !same(a, b, 6, 40)) {
        return false;
    }
    // TCP: ports, acknowledgement, header length, window, urgent pointer, options.
    const std::size_t t = first.ip_len;
    return same(a + t, b + t, 0, 4) && same(a + t, b + t, 8, 13) && same(a + t, b + t, 14, 16) &&
           same(a + t, b + t, 18, first.tcp_len);
}

std::size_t coalesced_size(std::span<const tcp_segment> segments) noexcept {
    std::size_t n = vnet_header::size + segments[0].ip_len + segments[0].tcp_len;
    for (const tcp_segment& s : segments)
        n += s.payload;
    return n;
}

std::size_t write_coalesced(std::span<const tcp_segment> segments,
                            std::span<std::uint8_t> out) noexcept {
    const tcp_segment& first = segments[0];
    const std::size_t headers = std::size_t(first.ip_len) + first.tcp_len;
    vnet_header h;
    h.flags = vnet_header::f_needs_csum;
    h.gso_type = first.v6 ? vnet_header::gso_tcpv6 : vnet_header::gso_tcpv4;
    h.hdr_len = static_cast<std::uint16_t>(headers);
    h.gso_size = static_cast<std::uint16_t>(first.payload);
    h.csum_start = first.ip_len;
    h.csum_offset = 16;
    h.write(out);
    std::uint8_t* p = out.data() + vnet_header::size;
    std::memcpy(p, first.bytes.data(), headers);
    std::size_t at = headers;
    for (const tcp_segment& s : segments) {
        std::memcpy(p + at, s.bytes.data() + s.ip_len + s.tcp_len, s.payload);
        at += s.payload;
    }
    // The run ends the way its last segment did (a push).
    p[first.ip_len + 13] = segments.back().flags;
    if (!first.v6) {
        store16(p + 2, static_cast<std::uint16_t>(at));
        store16(p + 10, 0);
        store16(p + 10, checksum_finish(checksum_add(0, {p, first.ip_len})));
    } else {
        store16(p + 4, static_cast<std::uint16_t>(at - 40));
    }
    // A partial checksum as the kernel leaves one: the pseudo-header sum, folded, not inverted.
    std::uint64_t sum = pseudo_header_sum({p, first.ip_len}, 6, at - first.ip_len);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    store16(p + first.ip_len + 16, static_cast<std::uint16_t>(sum));
    return vnet_header::size + at;
}

}  // namespace edge::engine
