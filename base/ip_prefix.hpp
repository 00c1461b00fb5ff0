#pragma once
// ip_prefix: an IPv4 or IPv6 network prefix ("10.0.0.0/8", "fd00::/64"), the one type for
// WireGuard's allowed IPs whether they come from a wg-quick file (wg/) or the wg_peers table of
// routing.db (routing/), so the engine hands one to the other as it is. Plain data.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edge {

/// An IPv4 or IPv6 prefix with its host bits cleared.
struct ip_prefix {
    std::array<std::uint8_t, 16> bytes{};  ///< network order; IPv4 in the first 4 bytes
    std::uint8_t length = 0;
    bool is_v6 = false;

    /// Parses "a.b.c.d/n" or "x::y/n"; a bare address is a /32 or /128. Host bits set in the text
    /// are cleared (as `wg` does); a scoped IPv6 address is refused. Any thread.
    static std::optional<ip_prefix> parse(std::string_view text) noexcept;
    friend bool operator==(const ip_prefix&, const ip_prefix&) = default;
    friend auto operator<=>(const ip_prefix&, const ip_prefix&) = default;
};

/// "10.0.0.0/8", "fd00::/64". Any thread.
std::string to_string(const ip_prefix& p);

}  // namespace edge
