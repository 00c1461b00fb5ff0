#pragma once
// Socket addresses as the engine writes and reads them in flags, logs and metrics. The storage is
// routing::endpoint, so a backend's address and a listen address are one type.

#include <optional>
#include <string>
#include <string_view>

#include "routing/types.hpp"

namespace edge::engine {

using socket_address = routing::endpoint;

/// Parses "1.2.3.4:80", "[::1]:80", "*:80" or ":80" (all IPv4 addresses) and "[::]:80".
/// Numeric only: listen addresses are not looked up in DNS. Any thread.
std::optional<socket_address> parse_address(std::string_view text) noexcept;

/// "1.2.3.4:80" or "[::1]:80"; IPv4-mapped IPv6 addresses print as IPv4. Any thread.
std::string to_string(const socket_address& a);

/// The port in host order.
std::uint16_t port_of(const socket_address& a) noexcept;
void set_port(socket_address& a, std::uint16_t port) noexcept;

/// Fills `a` from a kernel-provided sockaddr (getpeername, accept).
void assign(socket_address& a, const sockaddr* sa, socklen_t len) noexcept;

}  // namespace edge::engine
