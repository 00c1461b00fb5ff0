#include "base/ip_prefix.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace edge {

namespace {

void clear_host_bits(ip_prefix& p) noexcept {
    const int max = p.is_v6 ? 128 : 32;
    for (int bit = p.length; bit < max; ++bit)
        p.bytes[std::size_t(bit / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
}

}  // namespace

std::optional<ip_prefix> ip_prefix::parse(std::string_view text) noexcept {
    std::string_view addr = text;
    int length = -1;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        addr = text.substr(0, slash);
        std::string_view len = text.substr(slash + 1);
        auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), length);
        if (len.empty() || ec != std::errc() || p != len.data() + len.size() || length < 0)
            return std::nullopt;
    }
    auto a = parse_ip_literal(addr, 0);
    if (!a || (a->family() == AF_INET6 && a->addr.v6.sin6_scope_id != 0)) return std::nullopt;
    const int max = a->family() == AF_INET6 ? 128 : 32;
    if (length < 0) length = max;
    if (length > max) return std::nullopt;
    return of(*a, static_cast<std::uint8_t>(length));
}

ip_prefix ip_prefix::of(const socket_address& a, std::uint8_t length) noexcept {
    ip_prefix p;
    p.is_v6 = a.family() == AF_INET6;
    p.length = length;
    if (p.is_v6)
        std::memcpy(p.bytes.data(), &a.addr.v6.sin6_addr, 16);
    else
        std::memcpy(p.bytes.data(), &a.addr.v4.sin_addr, 4);
    clear_host_bits(p);
    return p;
}

socket_address ip_prefix::address() const noexcept {
    return is_v6 ? socket_address::from_v6(bytes.data(), 0)
                 : socket_address::from_v4(bytes.data(), 0);
}

bool ip_prefix::contains(const socket_address& a) const noexcept {
    if ((a.family() == AF_INET6) != is_v6 || a.empty()) return false;
    return of(a, length).bytes == bytes;
}

std::string to_string(const ip_prefix& p) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(p.is_v6 ? AF_INET6 : AF_INET, p.bytes.data(), buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(p.length);
}

}  // namespace edge
