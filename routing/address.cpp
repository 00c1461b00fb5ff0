#include "routing/address.hpp"

#include <fmt/format.h>
#include <netdb.h>

#include "base/strings.hpp"

namespace edge::routing {

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

result<socket_address, std::string> address_resolver::resolve(std::string_view host,
                                                              std::uint16_t port) {
    if (auto lit = parse_ip_literal(host, port)) return *lit;
    if (!is_host_name(host))
        return unexpected(fmt::format("wg_ip '{}' is not an IP address or host name",
                                      edge::escape_control(host)));
    if (!resolve_names_) {
        socket_address unresolved;
        unresolved.set_port(port);
        return unresolved;
    }
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
            l.address = socket_address::from_sockaddr(res->ai_addr, res->ai_addrlen);
        }
        if (res) freeaddrinfo(res);
    }
    if (!l.ok) return unexpected(l.error);
    socket_address e = l.address;
    e.set_port(port);
    return e;
}

}  // namespace edge::routing
