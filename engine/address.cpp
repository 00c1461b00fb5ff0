#include "engine/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace edge::engine {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view s) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

}  // namespace

std::optional<socket_address> parse_address(std::string_view text) noexcept {
    socket_address a;
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        char buf[INET6_ADDRSTRLEN] = {};
        if (host.size() >= sizeof(buf)) return std::nullopt;
        std::memcpy(buf, host.data(), host.size());
        a.addr.v6.sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, buf, &a.addr.v6.sin6_addr) != 1) return std::nullopt;
        a.len = sizeof(sockaddr_in6);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        a.addr.v4.sin_family = AF_INET;
        a.len = sizeof(sockaddr_in);
        if (host.empty() || host == "*") {
            a.addr.v4.sin_addr.s_addr = htonl(INADDR_ANY);
        } else {
            char buf[INET_ADDRSTRLEN] = {};
            if (host.size() >= sizeof(buf)) return std::nullopt;
            std::memcpy(buf, host.data(), host.size());
            if (inet_pton(AF_INET, buf, &a.addr.v4.sin_addr) != 1) return std::nullopt;
        }
    }
    auto p = parse_port(port);
    if (!p) return std::nullopt;
    set_port(a, *p);
    return a;
}

std::string to_string(const socket_address& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (a.addr.sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &a.addr.v4.sin_addr, buf, sizeof(buf));
        return fmt::format("{}:{}", buf, port_of(a));
    }
    if (a.addr.sa.sa_family == AF_INET6) {
        const in6_addr& x = a.addr.v6.sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&x)) {
            inet_ntop(AF_INET, &x.s6_addr[12], buf, sizeof(buf));
            return fmt::format("{}:{}", buf, port_of(a));
        }
        inet_ntop(AF_INET6, &x, buf, sizeof(buf));
        return fmt::format("[{}]:{}", buf, port_of(a));
    }
    return "(unknown)";
}

std::uint16_t port_of(const socket_address& a) noexcept {
    if (a.addr.sa.sa_family == AF_INET) return ntohs(a.addr.v4.sin_port);
    if (a.addr.sa.sa_family == AF_INET6) return ntohs(a.addr.v6.sin6_port);
    return 0;
}

void set_port(socket_address& a, std::uint16_t port) noexcept {
    if (a.addr.sa.sa_family == AF_INET)
        a.addr.v4.sin_port = htons(port);
    else if (a.addr.sa.sa_family == AF_INET6)
        a.addr.v6.sin6_port = htons(port);
}

void assign(socket_address& a, const sockaddr* sa, socklen_t len) noexcept {
    a = socket_address{};
    if (len > sizeof(a.addr)) len = sizeof(a.addr);
    std::memcpy(&a.addr, sa, len);
    a.len = len;
}

}  // namespace edge::engine
