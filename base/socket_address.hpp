#pragma once
// socket_address: the one IPv4/IPv6 socket address type of the project (listen addresses, client
// and backend addresses, WireGuard endpoints, load-generator targets). Plain data, ready for
// bind(2)/connect(2)/sendmsg(2); parsed, formatted and compared here and nowhere else.
//
// Formatting rule (logs, metrics labels, edgectl, the access log): "1.2.3.4:80", "[fd00::1]:80";
// an IPv4-mapped IPv6 address prints as the IPv4 address it carries (a v4 client on a dual-stack
// socket is a v4 client to an operator); an empty address prints as "(none)".

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace edge {

struct socket_address {
    union {
        sockaddr sa;
        sockaddr_in v4;
        sockaddr_in6 v6;
    } addr{};
    socklen_t len = 0;

    /// AF_INET, AF_INET6, or AF_UNSPEC (0) when empty.
    int family() const noexcept { return len == 0 ? AF_UNSPEC : addr.sa.sa_family; }
    bool empty() const noexcept { return len == 0; }
    const sockaddr* data() const noexcept { return &addr.sa; }
    sockaddr* data() noexcept { return &addr.sa; }

    /// The port in host order (0 when empty).
    std::uint16_t port() const noexcept;
    void set_port(std::uint16_t port) noexcept;

    /// An IPv4 address, or an IPv6 address in its mapped form (::ffff:a.b.c.d).
    bool is_v4_or_mapped() const noexcept;
    /// 127.0.0.0/8, ::1, or ::ffff:127.x.y.z.
    bool is_loopback() const noexcept;
    /// INADDR_ANY or in6addr_any.
    bool is_any() const noexcept;

    /// Copies a kernel-provided address (accept, getpeername, recvmsg); lengths beyond the
    /// storage are cut, unknown families give an empty address. Any thread.
    static socket_address from_sockaddr(const sockaddr* sa, socklen_t len) noexcept;
    /// An IPv4 address from 4 bytes in network order, or an IPv6 one from 16.
    static socket_address from_v4(const std::uint8_t bytes[4], std::uint16_t port) noexcept;
    static socket_address from_v6(const std::uint8_t bytes[16], std::uint16_t port,
                                  std::uint32_t scope_id = 0) noexcept;

    /// Same family, address, port (and IPv6 scope); flow info is ignored. A mapped IPv6 address
    /// and the IPv4 address it carries are different socket addresses (they differ on the wire).
    friend bool operator==(const socket_address& a, const socket_address& b) noexcept;
};

/// Splits "host:port" or "[IPv6]:port" into the host (brackets kept, possibly empty) and the
/// port; nullopt when there is no port or an IPv6 address is not bracketed. No DNS. Any thread.
std::optional<std::pair<std::string_view, std::uint16_t>> split_host_port(
    std::string_view text) noexcept;

/// Parses "1.2.3.4:80", "[::1]:80", "[fe80::1%eth0]:80", and "*:80" or ":80" (0.0.0.0). Numeric
/// only: no DNS. Any thread.
std::optional<socket_address> parse_socket_address(std::string_view text) noexcept;

/// Parses an IP literal without a port ("10.0.0.5", "fd00::1", "[fd00::1]", "fe80::1%eth0") and
/// gives it `port`. Only the dotted-quad IPv4 form counts (glibc's inet_aton shorthands such as
/// "10.1" are almost always typos). Any thread.
std::optional<socket_address> parse_ip_literal(std::string_view text, std::uint16_t port) noexcept;

/// "1.2.3.4:80", "[::1]:80", "(none)"; see the formatting rule above. Any thread.
std::string to_string(const socket_address& a);
/// The address alone, without the port: "1.2.3.4", "::1", "(none)". Any thread.
std::string host_string(const socket_address& a);
/// to_string(a) and host_string(a) appended to `out`, without a temporary (the access log
/// formats two addresses per connection). Any thread.
void append_to_string(std::string& out, const socket_address& a);
void append_host(std::string& out, const socket_address& a);

/// A hash over what operator== compares.
struct socket_address_hash {
    std::size_t operator()(const socket_address& a) const noexcept;
};

}  // namespace edge
