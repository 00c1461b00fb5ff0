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

socket_address ipv4_endpoint(std::uint32_t host_order, std::uint16_t port) {
    std::uint32_t be = htonl(host_order);
    return socket_address::from_v4(reinterpret_cast<const std::uint8_t*>(&be), port);
}

std::optional<socket_address> parse_host(std::string_view host, std::uint16_t port) {
    if (host == "localhost") host = "127.0.0.1";
    return parse_ip_literal(host, port);
}

}  // namespace

socket_address local_address_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        throw std::runtime_error(fmt::format("getsockname: {}", std::strerror(errno)));
    return socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

std::optional<socket_address> parse_endpoint(std::string_view text) {
    if (text.starts_with("localhost:"))
        return parse_socket_address(fmt::format("127.0.0.1{}", text.substr(9)));
    return parse_socket_address(text);
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

socket_address source_set::at(std::uint64_t i) const {
    i %= total_;
    for (const auto& r : ranges_) {
        if (i < r.count) {
            if (r.first.family() != AF_INET) return r.first;
            auto base = ntohl(r.first.addr.v4.sin_addr.s_addr);
            return ipv4_endpoint(base + std::uint32_t(i), 0);
        }
        i -= r.count;
    }
    return ranges_.front().first;  // unreachable: i < total_
}

}  // namespace edge::load
