#pragma once
// An IP address and an IP network as geo/ sees them: 16 bytes in network order, IPv4 held in its
// IPv4-mapped form (::ffff:a.b.c.d) so that a client reaching a dual-stack listener as
// ::ffff:a.b.c.d and one reaching an IPv4 listener as a.b.c.d are the same client.

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace edge::geo {

/// Why a network's text did not parse.
enum class network_error : std::uint8_t {
    bad_address,    // not an IPv4 or IPv6 address
    bad_prefix,     // not a number, or longer than 32 (IPv4) / 128 (IPv6)
    host_bits_set,  // "10.1.2.3/8": bits below the prefix, usually a typo for another network
};

/// One line of text for a network_error; any thread.
const char* describe(network_error e) noexcept;

struct ip_address {
    std::array<std::uint8_t, 16> bytes{};

    /// An IPv4 address from its four bytes in network order; any thread.
    static ip_address from_v4(const std::uint8_t (&b)[4]) noexcept;
    /// An IPv4 address from a host-order integer (0x7f000001 is 127.0.0.1); any thread.
    static ip_address from_v4(std::uint32_t host_order) noexcept;
    /// An IPv6 address from its sixteen bytes; an IPv4-mapped one stays IPv4-mapped, i.e. is
    /// the same value from_v4 gives. Any thread.
    static ip_address from_v6(const std::uint8_t (&b)[16]) noexcept;
    /// From a sockaddr_in or sockaddr_in6 (family read from `sa`); nullopt for other families.
    /// Any thread.
    static std::optional<ip_address> from_sockaddr(const sockaddr* sa) noexcept;
    /// Parses dotted IPv4 or textual IPv6 (inet_pton rules); nullopt when invalid. Any thread.
    static std::optional<ip_address> parse(std::string_view text) noexcept;

    /// True for IPv4 (held as ::ffff:a.b.c.d). Any thread.
    bool is_v4() const noexcept;
    /// The IPv4 address in host order; meaningful only when is_v4(). Any thread.
    std::uint32_t v4_host_order() const noexcept;
    /// Dotted quad for IPv4, RFC 5952 text for IPv6. Any thread (allocates: not per connection).
    std::string str() const;

    friend bool operator==(const ip_address&, const ip_address&) = default;
};

/// A CIDR network. `prefix` counts bits of the 128-bit form, so an IPv4 /24 has prefix 120;
/// v4_prefix() gives the IPv4 view. Host bits below the prefix are always zero.
struct ip_network {
    ip_address base;
    std::uint8_t prefix = 0;

    /// Parses "a.b.c.d/n", "x::y/n" or a bare address (a host network). Host bits set below the
    /// prefix are an error, as a typo there usually means a wrong network. Any thread.
    static result<ip_network, network_error> parse(std::string_view text) noexcept;

    /// True when the network lies in IPv4 space (::ffff:0:0/96). Any thread.
    bool is_v4() const noexcept { return prefix >= 96 && base.is_v4(); }
    /// The prefix length as written for IPv4; meaningful only when is_v4(). Any thread.
    unsigned v4_prefix() const noexcept { return prefix - 96u; }
    /// True when `a` lies inside this network. Any thread.
    bool contains(const ip_address& a) const noexcept;
    /// The last address of the network. Any thread.
    ip_address last() const noexcept;
    /// "a.b.c.d/n" or "x::y/n". Any thread.
    std::string str() const;

    friend bool operator==(const ip_network&, const ip_network&) = default;
};

}  // namespace edge::geo
