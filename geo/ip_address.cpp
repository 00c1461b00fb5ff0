#include "geo/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace edge::geo {

namespace {

constexpr std::uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

const char* describe(network_error e) noexcept {
    switch (e) {
        case network_error::bad_address:
            return "not an IPv4 or IPv6 address";
        case network_error::bad_prefix:
            return "prefix length must be 0-32 (IPv4) or 0-128 (IPv6)";
        case network_error::host_bits_set:
            return "address has bits set below the prefix length";
    }
    return "bad network";
}

ip_address ip_address::from_v4(const std::uint8_t (&b)[4]) noexcept {
    ip_address a;
    std::memcpy(a.bytes.data(), v4_mapped_prefix, 12);
    std::memcpy(a.bytes.data() + 12, b, 4);
    return a;
}

ip_address ip_address::from_v4(std::uint32_t host_order) noexcept {
    const std::uint8_t b[4] = {
        static_cast<std::uint8_t>(host_order >> 24), static_cast<std::uint8_t>(host_order >> 16),
        static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order)};
    return from_v4(b);
}

ip_address ip_address::from_v6(const std::uint8_t (&b)[16]) noexcept {
    ip_address a;
    std::memcpy(a.bytes.data(), b, 16);
    return a;
}

std::optional<ip_address> ip_address::from_sockaddr(const sockaddr* sa) noexcept {
    if (sa == nullptr) return std::nullopt;
    if (sa->sa_family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, sa, sizeof in);
        std::uint8_t b[4];
        std::memcpy(b, &in.sin_addr, 4);
        return from_v4(b);
    }
    if (sa->sa_family == AF_INET6) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, sa, sizeof in6);
        std::uint8_t b[16];
        std::memcpy(b, &in6.sin6_addr, 16);
        return from_v6(b);
    }
    return std::nullopt;
}

std::optional<ip_address> ip_address::parse(std::string_view text) noexcept {
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    std::uint8_t b4[4];
    if (inet_pton(AF_INET, buf, b4) == 1) return from_v4(b4);
    std::uint8_t b16[16];
    if (inet_pton(AF_INET6, buf, b16) == 1) return from_v6(b16);
    return std::nullopt;
}

bool ip_address::is_v4() const noexcept {
    return std::memcmp(bytes.data(), v4_mapped_prefix, 12) == 0;
}

std::uint32_t ip_address::v4_host_order() const noexcept {
    return (std::uint32_t{bytes[12]} << 24) | (std::uint32_t{bytes[13]} << 16) |
           (std::uint32_t{bytes[14]} << 8) | std::uint32_t{bytes[15]};
}

std::string ip_address::str() const {
    char buf[INET6_ADDRSTRLEN];
    if (is_v4()) {
        inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    }
    return buf;
}

result<ip_network, network_error> ip_network::parse(std::string_view text) noexcept {
    auto slash = text.find('/');
    auto addr = ip_address::parse(text.substr(0, slash));
    if (!addr) return unexpected(network_error::bad_address);
    // A bare IPv4 address written as text is IPv4 even if it is IPv4-mapped IPv6 text; the
    // prefix written after it counts bits of the form it was written in.
    bool written_v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    unsigned bits = 128;
    if (slash != std::string_view::npos) {
        auto p = text.substr(slash + 1);
        unsigned n = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
        if (p.empty() || ec != std::errc() || end != p.data() + p.size()) {
            return unexpected(network_error::bad_prefix);
        }
        unsigned max = written_v4 ? 32 : 128;
        if (n > max) return unexpected(network_error::bad_prefix);
        bits = written_v4 ? n + 96 : n;
    }
    ip_network net{*addr, static_cast<std::uint8_t>(bits)};
    // Host bits must be clear.
    for (unsigned i = bits; i < 128; ++i) {
        if (net.base.bytes[i / 8] & (0x80u >> (i % 8))) {
            return unexpected(network_error::host_bits_set);
        }
    }
    return net;
}

bool ip_network::contains(const ip_address& a) const noexcept {
    unsigned full = prefix / 8;
    if (std::memcmp(a.bytes.data(), base.bytes.data(), full) != 0) return false;
    if (prefix % 8 == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff00u >> (prefix % 8));
    return (a.bytes[full] & mask) == (base.bytes[full] & mask);
}

ip_address ip_network::last() const noexcept {
    ip_address a = base;
    for (unsigned i = prefix; i < 128; ++i)
        a.bytes[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    return a;
}

std::string ip_network::str() const {
    if (is_v4()) return base.str() + "/" + std::to_string(v4_prefix());
    return base.str() + "/" + std::to_string(prefix);
}

}  // namespace edge::geo
