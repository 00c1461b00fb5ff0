#include "engine/codec/gso.hpp"

#include <algorithm>
#include <cstring>

#include "engine/codec/ip_checksum.hpp"

namespace edge::engine {

namespace {

constexpr std::uint8_t proto_tcp = 6;
constexpr std::uint8_t proto_udp = 17;
constexpr std::size_t max_gso_packet = 65535 + 40;

std::uint16_t load16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
void store16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
std::uint32_t load32(const std::uint8_t* p) noexcept {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
void store32(std::uint8_t* p, std::uint32_t v) noexcept {
    store16(p, static_cast<std::uint16_t>(v >> 16));
    store16(p + 2, static_cast<std::uint16_t>(v));
}

}  // namespace

vnet_header vnet_header::read(std::span<const std::uint8_t> b) noexcept {
    vnet_header h;
    h.flags = b[0];
    h.gso_type = b[1];
    std::memcpy(&h.hdr_len, &b[2], 2);
    std::memcpy(&h.gso_size, &b[4], 2);
    std::memcpy(&h.csum_start, &b[6], 2);
    std::memcpy(&h.csum_offset, &b[8], 2);
    return h;
}

void vnet_header::write(std::span<std::uint8_t> b) const noexcept {
    b[0] = flags;
    b[1] = gso_type;
    std::memcpy(&b[2], &hdr_len, 2);
    std::memcpy(&b[4], &gso_size, 2);
    std::memcpy(&b[6], &csum_start, 2);
    std::memcpy(&b[8], &csum_offset, 2);
}

bool complete_checksum(std::span<std::uint8_t> packet, std::uint16_t csum_start,
                       std::uint16_t csum_offset) noexcept {
    std::size_t field = std::size_t(csum_start) + csum_offset;
    if (csum_start >= packet.size() || field + 2 > packet.size()) return false;
    // The field holds the pseudo-header sum already: summing everything from csum_start, the
    // field included, gives the checksum.
    std::uint64_t sum = checksum_add(0, packet.subspan(csum_start));
    store16(&packet[field], checksum_finish(sum));
    return true;
}

gso_error gso_splitter::start(const vnet_header& h, std::span<const std::uint8_t> packet) noexcept {
    count_ = 0;
    h_ = h;
    if (packet.size() < 20 || packet.size() > max_gso_packet) return gso_error::truncated;
    const std::uint8_t version = packet[0] >> 4;
    std::size_t ip_len = 0, l4 = 0;
    if (version == 4) {
        std::size_t ihl = std::size_t(packet[0] & 15) * 4;
        ip_len = load16(&packet[2]);
        if (ihl < 20 || ip_len < ihl || ip_len > packet.size()) return gso_error::bad_ip;
        proto_ = packet[9];
        l4 = ihl;
        v4_ = true;
    } else if (version == 6) {
        if (packet.size() < 40) return gso_error::truncated;
        ip_len = 40 + std::size_t(load16(&packet[4]));
        if (ip_len > packet.size()) return gso_error::bad_ip;
        proto_ = packet[6];
        l4 = 40;
        v4_ = false;
    } else {
        return gso_error::bad_ip;
    }
    packet_ = packet.first(ip_len);
    // Where the L4 header starts: the kernel says so for a partial checksum (past any IPv6
    // extension headers); otherwise right after the fixed IP header.
    if (h.flags & vnet_header::f_needs_csum) {
        if (std::size_t(h.csum_start) + h.csum_offset + 2 > packet_.size())
            return gso_error::bad_csum_start;
        l4 = h.csum_start;
    }
    l4_offset_ = l4;
    const std::uint8_t type = h.gso_type & ~vnet_header::gso_ecn;
    if (type == vnet_header::gso_none) {
        segment_ = false;
        count_ = 1;
        return gso_error::none;
    }
    if (type == vnet_header::gso_tcpv4 || type == vnet_header::gso_tcpv6) {
        if (proto_ != proto_tcp || (type == vnet_header::gso_tcpv4) != v4_)
            return gso_error::bad_l4;
        if (l4 + 20 > packet_.size()) return gso_error::truncated;
        std::size_t thl = std::size_t(packet_[l4 + 12] >> 4) * 4;
        if (thl < 20 || l4 + thl > packet_.size()) return gso_error::bad_l4;
        headers_ = l4 + thl;
    } else if (type == vnet_header::gso_udp_l4) {
        if (proto_ != proto_udp) return gso_error::bad_l4;
        if (l4 + 8 > packet_.size()) return gso_error::truncated;
        headers_ = l4 + 8;
    } else {
        return gso_error::bad_gso;
    }
    if (h.gso_size == 0) return gso_error::bad_gso;
    segment_ = true;
    mss_ = h.gso_size;
    payload_ = packet_.size() - headers_;
    count_ = payload_ == 0 ? 1 : (payload_ + mss_ - 1) / mss_;
    return gso_error::none;
}

std::size_t gso_splitter::length(std::size_t i) const noexcept {
    if (!segment_) return packet_.size();
    std::size_t first = i * mss_;
    return headers_ + std::min(mss_, payload_ - std::min(first, payload_));
}

void gso_splitter::write(std::size_t i, std::span<std::uint8_t> out) const noexcept {
    if (!segment_) {
        std::memcpy(out.data(), packet_.data(), packet_.size());
        if (h_.flags & vnet_header::f_needs_csum)
            complete_checksum(out.first(packet_.size()), h_.csum_start, h_.csum_offset);
        return;
    }
    const std::size_t chunk = length(i) - headers_;
    const std::size_t total = headers_ + chunk;
    std::uint8_t* p = out.data();
    std::memcpy(p, packet_.data(), headers_);
    std::memcpy(p + headers_, packet_.data() + headers_ + i * mss_, chunk);
    if (v4_) {
        std::size_t ihl = std::size_t(p[0] & 15) * 4;
        store16(p + 2, static_cast<std::uint16_t>(total));
        store16(p + 4, static_cast<std::uint16_t>(load16(p + 4) + i));  // IP id, one per segment
        store16(p + 10, 0);
        store16(p + 10, checksum_finish(checksum_add(0, {p, ihl})));
    } else {
        store16(p + 4, static_cast<std::uint16_t>(total - 40));
    }
    std::uint8_t* l4 = p + l4_offset_;
    const std::size_t l4_len = total - l4_offset_;
    std::span<const std::uint8_t> ip{p, l4_offset_};
    if (proto_ == proto_tcp) {
        store32(l4 + 4, static_cast<std::uint32_t>(load32(l4 + 4) + i * mss_));
        std::uint8_t flags = l4[13];
        if (i + 1 != count_) flags &= static_cast<std::uint8_t>(~0x09);  // FIN, PSH: last only
        if (i != 0) flags &= static_cast<std::uint8_t>(~0x80);           // CWR: first only
        l4[13] = flags;
        store16(l4 + 16, 0);
        std::uint64_t sum = pseudo_header_sum(ip, proto_tcp, l4_len);
        store16(l4 + 16, checksum_finish(checksum_add(sum, {l4, l4_len})));
    } else {
        store16(l4 + 4, static_cast<std::uint16_t>(l4_len));
        store16(l4 + 6, 0);
        std::uint64_t sum = pseudo_header_sum(ip, proto_udp, l4_len);
        std::uint16_t c = checksum_finish(checksum_add(sum, {l4, l4_len}));
        store16(l4 + 6, c == 0 ? 0xffff : c);  // 0 means "no checksum" (RFC 768)
    }
}

}  // namespace edge::engine
