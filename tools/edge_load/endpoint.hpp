#pragma once
// Target and listen addresses for edge-load ("A.B.C.D:PORT", "[V6]:PORT", "localhost:PORT", as
// base/socket_address parses them), and source_set: the local addresses client sockets bind to
// before connecting, so that many connections to one target do not run out of ephemeral ports.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/socket_address.hpp"

namespace edge::load {

/// Parses "HOST:PORT" (numeric address, or "localhost" for 127.0.0.1); nullopt when malformed.
std::optional<socket_address> parse_endpoint(std::string_view text);

/// The bound local address of a socket; throws on failure.
socket_address local_address_of(int fd);

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
    socket_address at(std::uint64_t i) const;

  private:
    struct range {
        socket_address first;     // port 0
        std::uint64_t count = 1;  // IPv4 ranges only; IPv6 entries are single addresses
    };
    std::vector<range> ranges_;
    std::uint64_t total_ = 0;
};

}  // namespace edge::load
