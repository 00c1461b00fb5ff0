#pragma once
// ip_prefix: an IPv4 or IPv6 network (address and length, host bits cleared) — a WireGuard
// peer's allowed IPs, a tunnel address, a route. The project's one prefix type, beside
// socket_address. Plain data; parsed and formatted here.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/socket_address.hpp"

namespace edge {

struct ip_prefix {
    std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 in the first 4 bytes
    std::uint8_t length = 0;
    bool is_v6 = false;

    /// Parses "10.0.0.0/8", "fd00::/64", or a bare address (a /32 or /128). Host bits set in the
    /// text are cleared, as `wg` does. Any thread.
    static std::optional<ip_prefix> parse(std::string_view text) noexcept;
    /// The prefix of `length` bits of an address (host bits cleared).
    static ip_prefix of(const socket_address& a, std::uint8_t length) noexcept;

    /// The network address as a socket address (port 0).
    socket_address address() const noexcept;
    /// Whether `a` lies in this network.
    bool contains(const socket_address& a) const noexcept;

    friend bool operator==(const ip_prefix&, const ip_prefix&) = default;
    friend auto operator<=>(const ip_prefix&, const ip_prefix&) = default;
};

/// "10.0.0.0/8", "fd00::/64". Any thread.
std::string to_string(const ip_prefix& p);

}  // namespace edge
