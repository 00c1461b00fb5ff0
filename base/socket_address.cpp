#include "base/socket_address.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

namespace edge {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view s) noexcept {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

// inet_pton wants a NUL-terminated string; literals are short, so a stack copy does.
template <std::size_t N>
bool copy_z(std::string_view s, char (&buf)[N]) noexcept {
    if (s.size() >= N) return false;
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    return true;
}

std::optional<std::uint32_t> parse_scope(std::string_view s) noexcept {
    if (s.empty()) return std::nullopt;
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) return v;
    char name[IF_NAMESIZE + 1];
    if (!copy_z(s, name)) return std::nullopt;
    unsigned idx = if_nametoindex(name);
    if (idx == 0) return std::nullopt;
    return idx;
}

}  // namespace

std::uint16_t socket_address::port() const noexcept {
    switch (family()) {
        case AF_INET:
            return ntohs(addr.v4.sin_port);
        case AF_INET6:
            return ntohs(addr.v6.sin6_port);
        default:
            return 0;
    }
}

void socket_address::set_port(std::uint16_t port) noexcept {
    if (family() == AF_INET)
        addr.v4.sin_port = htons(port);
    else if (family() == AF_INET6)
        addr.v6.sin6_port = htons(port);
}

bool socket_address::is_v4_or_mapped() const noexcept {
    return family() == AF_INET ||
           (family() == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&addr.v6.sin6_addr));
}

bool socket_address::is_loopback() const noexcept {
    if (family() == AF_INET) return (ntohl(addr.v4.sin_addr.s_addr) >> 24) == 127;
    if (family() != AF_INET6) return false;
    const in6_addr& a = addr.v6.sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
}

bool socket_address::is_any() const noexcept {
    if (family() == AF_INET) return addr.v4.sin_addr.s_addr == htonl(INADDR_ANY);
    if (family() == AF_INET6) return IN6_IS_ADDR_UNSPECIFIED(&addr.v6.sin6_addr);
    return false;
}

socket_address socket_address::from_sockaddr(const sockaddr* sa, socklen_t len) noexcept {
    socket_address a;
    if (sa == nullptr) return a;
    if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
        std::memcpy(&a.addr.v4, sa, sizeof(sockaddr_in));
        a.len = sizeof(sockaddr_in);
    } else if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        std::memcpy(&a.addr.v6, sa, sizeof(sockaddr_in6));
        a.len = sizeof(sockaddr_in6);
    }
    return a;
}

socket_address socket_address::from_v4(const std::uint8_t bytes[4], std::uint16_t port) noexcept {
    socket_address a;
    a.addr.v4.sin_family = AF_INET;
    std::memcpy(&a.addr.v4.sin_addr, bytes, 4);
    a.addr.v4.sin_port = htons(port);
    a.len = sizeof(sockaddr_in);
    return a;
}

socket_address socket_address::from_v6(const std::uint8_t bytes[16], std::uint16_t port,
                                       std::uint32_t scope_id) noexcept {
    socket_address a;
    a.addr.v6.sin6_family = AF_INET6;
    std::memcpy(&a.addr.v6.sin6_addr, bytes, 16);
    a.addr.v6.sin6_port = htons(port);
    a.addr.v6.sin6_scope_id = scope_id;
    a.len = sizeof(sockaddr_in6);
    return a;
}

bool operator==(const socket_address& a, const socket_address& b) noexcept {
    if (a.family() != b.family()) return false;
    switch (a.family()) {
        case AF_INET:
            return a.addr.v4.sin_port == b.addr.v4.sin_port &&
                   a.addr.v4.sin_addr.s_addr == b.addr.v4.sin_addr.s_addr;
        case AF_INET6:
            return a.addr.v6.sin6_port == b.addr.v6.sin6_port &&
                   a.addr.v6.sin6_scope_id == b.addr.v6.sin6_scope_id &&
                   std::memcmp(&a.addr.v6.sin6_addr, &b.addr.v6.sin6_addr, 16) == 0;
        default:
            return true;  // both empty
    }
}

std::size_t socket_address_hash::operator()(const socket_address& a) const noexcept {
    // FNV-1a over the compared fields: addresses are few per table, and this is never per packet.
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&h](const void* p, std::size_t n) {
        const auto* b = static_cast<const unsigned char*>(p);
        for (std::size_t i = 0; i < n; ++i)
            h = (h ^ b[i]) * 1099511628211ull;
    };
    int f = a.family();
    mix(&f, sizeof(f));
    if (f == AF_INET) {
        mix(&a.addr.v4.sin_addr, 4);
        mix(&a.addr.v4.sin_port, 2);
    } else if (f == AF_INET6) {
        mix(&a.addr.v6.sin6_addr, 16);
        mix(&a.addr.v6.sin6_port, 2);
        mix(&a.addr.v6.sin6_scope_id, 4);
    }
    return static_cast<std::size_t>(h);
}

std::optional<socket_address> parse_ip_literal(std::string_view text, std::uint16_t port) noexcept {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (text.empty()) return std::nullopt;
    socket_address a;
    if (text.find(':') == std::string_view::npos) {
        char buf[INET_ADDRSTRLEN];
        if (!copy_z(text, buf) || inet_pton(AF_INET, buf, &a.addr.v4.sin_addr) != 1)
            return std::nullopt;
        a.addr.v4.sin_family = AF_INET;
        a.len = sizeof(sockaddr_in);
    } else {
        std::string_view host = text, scope;
        if (auto pct = text.find('%'); pct != std::string_view::npos) {
            host = text.substr(0, pct);
            scope = text.substr(pct + 1);
        }
        char buf[INET6_ADDRSTRLEN];
        // `addr{}` zeroes only the union's first member (the 16-byte sockaddr): the scope id and
        // flow info of the larger sockaddr_in6 would keep whatever the stack held (clang's UBSan
        // caught a garbage scope id).
        a.addr.v6 = sockaddr_in6{};
        if (!copy_z(host, buf) || inet_pton(AF_INET6, buf, &a.addr.v6.sin6_addr) != 1)
            return std::nullopt;
        if (!scope.empty() || text.find('%') != std::string_view::npos) {
            auto id = parse_scope(scope);
            if (!id) return std::nullopt;
            a.addr.v6.sin6_scope_id = *id;
        }
        a.addr.v6.sin6_family = AF_INET6;
        a.len = sizeof(sockaddr_in6);
    }
    a.set_port(port);
    return a;
}

std::optional<std::pair<std::string_view, std::uint16_t>> split_host_port(
    std::string_view text) noexcept {
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(0, close + 1);
        port = text.substr(close + 2);
        if (host.size() < 3) return std::nullopt;
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        // An unbracketed IPv6 address would be ambiguous with its port.
        if (host.find(':') != std::string_view::npos) return std::nullopt;
    }
    auto p = parse_port(port);
    if (!p) return std::nullopt;
    return std::pair{host, *p};
}

std::optional<socket_address> parse_socket_address(std::string_view text) noexcept {
    auto parts = split_host_port(text);
    if (!parts) return std::nullopt;
    auto [host, port] = *parts;
    if (host.empty() || host == "*") host = "0.0.0.0";
    return parse_ip_literal(host, port);
}

namespace {

// Dotted quad without inet_ntop (which goes through sprintf): the access log prints two
// addresses per connection.
void append_v4(std::string& out, const std::uint8_t* b) {
    for (int i = 0; i < 4; ++i) {
        if (i) out.push_back('.');
        fmt::format_int n(b[i]);
        out.append(n.data(), n.size());
    }
}

}  // namespace

void append_host(std::string& out, const socket_address& a) {
    if (a.family() == AF_INET) {
        append_v4(out, reinterpret_cast<const std::uint8_t*>(&a.addr.v4.sin_addr));
        return;
    }
    if (a.family() == AF_INET6) {
        const in6_addr& x = a.addr.v6.sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&x)) {
            append_v4(out, &x.s6_addr[12]);
            return;
        }
        char buf[INET6_ADDRSTRLEN] = {};
        inet_ntop(AF_INET6, &x, buf, sizeof(buf));
        out += buf;
        if (a.addr.v6.sin6_scope_id != 0)
            fmt::format_to(std::back_inserter(out), "%{}", a.addr.v6.sin6_scope_id);
        return;
    }
    out += "(none)";
}

void append_to_string(std::string& out, const socket_address& a) {
    if (a.empty()) {
        out += "(none)";
        return;
    }
    bool bracket = a.family() == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&a.addr.v6.sin6_addr);
    if (bracket) out.push_back('[');
    append_host(out, a);
    out += bracket ? "]:" : ":";
    fmt::format_int p(a.port());
    out.append(p.data(), p.size());
}

std::string host_string(const socket_address& a) {
    std::string s;
    append_host(s, a);
    return s;
}

std::string to_string(const socket_address& a) {
    std::string s;
    append_to_string(s, a);
    return s;
}

}  // namespace edge
