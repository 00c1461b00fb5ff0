#pragma once
// endpoint: an IPv4 or IPv6 socket address parsed from "A.B.C.D:PORT", "[V6]:PORT" or
// "localhost:PORT", and source_set: the local addresses client sockets bind to before connecting,
// so that many connections to one target do not run out of ephemeral ports.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edge::load {

struct endpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;

    int family() const noexcept { return addr.ss_family; }
    const sockaddr* sa() const noexcept { return reinterpret_cast<const sockaddr*>(&addr); }
    std::uint16_t port() const noexcept;
    void set_port(std::uint16_t p) noexcept;
    /// True for 127.0.0.0/8 and ::1.
    bool is_loopback() const noexcept;
    /// "127.0.0.1:8080" or "[::1]:8080".
    std::string to_string() const;
    /// The bound local address of a socket.
    static endpoint of_socket(int fd);
};

/// Parses "HOST:PORT" (numeric address or "localhost"); nullopt when malformed.
std::optional<endpoint> parse_endpoint(std::string_view text);

/// Local source addresses, handed out round-robin by connection index. Parsed from a
/// comma-separated list of single addresses, A.B.C.D/N prefixes and A.B.C.D-E.F.G.H ranges.
class source_set {
  public:
    /// Parses the --source list; nullopt when malformed.
    static std::optional<source_set> parse(std::string_view text);
    /// `n` consecutive IPv4 addresses from `first` (host order), the default spread for hold.
    static source_set ipv4_run(std::uint32_t first, std::uint32_t n);

    bool empty() const noexcept { return total_ == 0; }
    std::uint64_t size() const noexcept { return total_; }
    /// The address (port 0) for connection number i; any thread (the set is immutable).
    endpoint at(std::uint64_t i) const;

  private:
    struct range {
        endpoint first;           // port 0
        std::uint64_t count = 1;  // IPv4 ranges only; IPv6 entries are single addresses
    };
    std::vector<range> ranges_;
    std::uint64_t total_ = 0;
};

}  // namespace edge::load
