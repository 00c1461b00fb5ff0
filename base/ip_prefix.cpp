#include "base/ip_prefix.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "base/socket_address.hpp"

namespace edge {

std::optional<ip_prefix> ip_prefix::parse(std::string_view text) noexcept {
    std::string_view addr = text;
    int length = -1;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        addr = text.substr(0, slash);
        std::string_view len = text.substr(slash + 1);
        if (len.empty() || len.size() > 3) return std::nullopt;
        length = 0;
        for (char c : len) {
            if (c < '0' || c > '9') return std::nullopt;
            length = length * 10 + (c - '0');
        }
    }
    auto a = parse_ip_literal(addr, 0);
    if (!a || (a->family() == AF_INET6 && a->addr.v6.sin6_scope_id != 0)) return std::nullopt;
    ip_prefix p;
    p.is_v6 = a->family() == AF_INET6;
    const int max = p.is_v6 ? 128 : 32;
    if (length < 0) length = max;
    if (length > max) return std::nullopt;
    p.length = std::uint8_t(length);
    if (p.is_v6)
        std::memcpy(p.bytes.data(), &a->addr.v6.sin6_addr, 16);
    else
        std::memcpy(p.bytes.data(), &a->addr.v4.sin_addr, 4);
    for (int bit = length; bit < max; ++bit)
        p.bytes[std::size_t(bit / 8)] &= std::uint8_t(~(0x80 >> (bit % 8)));
    return p;
}

std::string to_string(const ip_prefix& p) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(p.is_v6 ? AF_INET6 : AF_INET, p.bytes.data(), buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(p.length);
}

}  // namespace edge
