#include "routing/address.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>

#include <cstring>

namespace edge::routing {

namespace {

void set_port(endpoint& e, std::uint16_t port) noexcept {
    if (e.addr.sa.sa_family == AF_INET)
        e.addr.v4.sin_port = htons(port);
    else
        e.addr.v6.sin6_port = htons(port);
}

endpoint from_addrinfo(const addrinfo* ai) noexcept {
    endpoint e;
    std::memcpy(&e.addr, ai->ai_addr, ai->ai_addrlen);
    e.len = ai->ai_addrlen;
    return e;
}

}  // namespace

std::optional<endpoint> parse_ip_literal(std::string_view text, std::uint16_t port) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() > INET6_ADDRSTRLEN + 16) return std::nullopt;
    std::string host(text);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr)
        return std::nullopt;
    endpoint e = from_addrinfo(res);
    freeaddrinfo(res);
    // glibc accepts inet_aton's shorthand ("10.1", "0x7f.1"); an operator writing that almost
    // certainly made a typo, so only the dotted-quad form counts as an IPv4 literal.
    if (e.addr.sa.sa_family == AF_INET) {
        in_addr check{};
        if (inet_pton(AF_INET, host.c_str(), &check) != 1) return std::nullopt;
    }
    set_port(e, port);
    return e;
}

bool is_host_name(std::string_view text) noexcept {
    if (text.empty() || text.size() > 253) return false;
    if (text.back() == '.') text.remove_suffix(1);  // fully qualified form
    std::size_t label = 0;
    bool label_all_digits = true;
    for (char c : text) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            label_all_digits = true;
            continue;
        }
        bool digit = c >= '0' && c <= '9';
        bool ok = digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
        if (!ok || ++label > 63) return false;
        label_all_digits = label_all_digits && digit;
    }
    // A numeric last label is a malformed IPv4 address ("10.0.0.256"), not a name (RFC 3696 §2).
    return label > 0 && !label_all_digits;
}

std::string format_endpoint(const endpoint& e) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (e.addr.sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &e.addr.v4.sin_addr, buf, sizeof buf);
        return fmt::format("{}:{}", buf, ntohs(e.addr.v4.sin_port));
    }
    if (e.addr.sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &e.addr.v6.sin6_addr, buf, sizeof buf);
        return fmt::format("[{}]:{}", buf, ntohs(e.addr.v6.sin6_port));
    }
    return "(none)";
}

result<endpoint, std::string> address_resolver::resolve(std::string_view host, std::uint16_t port) {
    if (auto lit = parse_ip_literal(host, port)) return *lit;
    if (!is_host_name(host))
        return unexpected(fmt::format("wg_ip '{}' is not an IP address or host name", host));
    auto [it, fresh] = cache_.try_emplace(std::string(host));
    lookup& l = it->second;
    if (fresh) {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        int rc = getaddrinfo(it->first.c_str(), nullptr, &hints, &res);
        if (rc != 0 || res == nullptr) {
            l.error = fmt::format("wg_ip host name '{}' does not resolve: {}", host,
                                  rc != 0 ? gai_strerror(rc) : "no address");
        } else {
            l.ok = true;
            l.address = from_addrinfo(res);
        }
        if (res) freeaddrinfo(res);
    }
    if (!l.ok) return unexpected(l.error);
    endpoint e = l.address;
    set_port(e, port);
    return e;
}

}  // namespace edge::routing
