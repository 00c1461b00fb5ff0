#include "tools/edge_load/endpoint.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace edge::load {

namespace {

std::optional<std::uint32_t> parse_ipv4(std::string_view s) {
    std::string z(s);
    in_addr a{};
    if (inet_pton(AF_INET, z.c_str(), &a) != 1) return std::nullopt;
    return ntohl(a.s_addr);
}

endpoint ipv4_endpoint(std::uint32_t host_order, std::uint16_t port) {
    endpoint e;
    auto* sin = reinterpret_cast<sockaddr_in*>(&e.addr);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(host_order);
    sin->sin_port = htons(port);
    e.len = sizeof(sockaddr_in);
    return e;
}

std::optional<endpoint> parse_host(std::string_view host, std::uint16_t port) {
    if (host == "localhost") host = "127.0.0.1";
    if (auto v4 = parse_ipv4(host)) return ipv4_endpoint(*v4, port);
    std::string z(host);
    in6_addr a6{};
    if (inet_pton(AF_INET6, z.c_str(), &a6) != 1) return std::nullopt;
    endpoint e;
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = a6;
    sin6->sin6_port = htons(port);
    e.len = sizeof(sockaddr_in6);
    return e;
}

}  // namespace

std::uint16_t endpoint::port() const noexcept {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
}

void endpoint::set_port(std::uint16_t p) noexcept {
    if (family() == AF_INET)
        reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(p);
    else
        reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(p);
}

bool endpoint::is_loopback() const noexcept {
    if (family() == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr);
}

std::string endpoint::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, buf, sizeof buf);
        return fmt::format("{}:{}", buf, port());
    }
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, buf, sizeof buf);
    return fmt::format("[{}]:{}", buf, port());
}

endpoint endpoint::of_socket(int fd) {
    endpoint e;
    e.len = sizeof e.addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&e.addr), &e.len) != 0)
        throw std::runtime_error(fmt::format("getsockname: {}", std::strerror(errno)));
    return e;
}

std::optional<endpoint> parse_endpoint(std::string_view text) {
    std::string_view host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt;  // bare IPv6
    }
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
        port_text.empty())
        return std::nullopt;
    return parse_host(host, std::uint16_t(port));
}

std::optional<source_set> source_set::parse(std::string_view text) {
    source_set set;
    while (!text.empty()) {
        auto comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        range r;
        if (auto slash = item.find('/'); slash != std::string_view::npos) {
            auto base = parse_ipv4(item.substr(0, slash));
            unsigned bits = 0;
            auto bits_text = item.substr(slash + 1);
            auto [end, ec] =
                std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
            if (!base || ec != std::errc() || end != bits_text.data() + bits_text.size() ||
                bits > 32 || bits_text.empty())
                return std::nullopt;
            const std::uint64_t size = std::uint64_t{1} << (32 - bits);
            const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
            std::uint32_t first = *base & mask;
            std::uint64_t count = size;
            if (size > 2) {  // skip the network and broadcast addresses
                first += 1;
                count -= 2;
            }
            r.first = ipv4_endpoint(first, 0);
            r.count = count;
        } else if (auto dash = item.find('-'); dash != std::string_view::npos) {
            auto a = parse_ipv4(item.substr(0, dash));
            auto b = parse_ipv4(item.substr(dash + 1));
            if (!a || !b || *b < *a) return std::nullopt;
            r.first = ipv4_endpoint(*a, 0);
            r.count = std::uint64_t(*b - *a) + 1;
        } else {
            auto e = parse_host(item, 0);
            if (!e) return std::nullopt;
            r.first = *e;
        }
        set.total_ += r.count;
        set.ranges_.push_back(r);
    }
    if (set.total_ == 0) return std::nullopt;
    return set;
}

source_set source_set::ipv4_run(std::uint32_t first, std::uint32_t n) {
    source_set set;
    set.ranges_.push_back({ipv4_endpoint(first, 0), n});
    set.total_ = n;
    return set;
}

endpoint source_set::at(std::uint64_t i) const {
    i %= total_;
    for (const auto& r : ranges_) {
        if (i < r.count) {
            if (r.first.family() != AF_INET) return r.first;
            auto base = ntohl(reinterpret_cast<const sockaddr_in*>(&r.first.addr)->sin_addr.s_addr);
            return ipv4_endpoint(base + std::uint32_t(i), 0);
        }
        i -= r.count;
    }
    return ranges_.front().first;  // unreachable: i < total_
}

}  // namespace edge::load
