#pragma once
// Backend addresses from routing.db's wg_ip: IPv4/IPv6 literals, or host names resolved with
// getaddrinfo. Resolution blocks, so it runs on the control thread (or in tools), never a worker.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// An IPv4 or IPv6 literal (IPv6 optionally in brackets, with a %scope) with `port`, or nullopt.
/// Any thread.
std::optional<endpoint> parse_ip_literal(std::string_view text, std::uint16_t port);

/// True when `text` is syntactically a DNS host name (letters, digits, '-', '_', dots; labels of
/// 1–63 bytes; 253 bytes in all; the last label not all digits). Any thread.
bool is_host_name(std::string_view text) noexcept;

/// "10.0.0.1:8080" or "[fd00::1]:8080", for logs and edgectl. Any thread.
std::string format_endpoint(const endpoint& e);

/// Resolves wg_ip values for one load, asking getaddrinfo once per distinct host name.
class address_resolver {
  public:
    /// A literal, or the first TCP address of a host name; the error is a reason for the
    /// rejected row. Blocking; control thread or tools.
    result<endpoint, std::string> resolve(std::string_view host, std::uint16_t port);

  private:
    struct lookup {
        bool ok = false;
        endpoint address;  // port 0: filled in per row
        std::string error;
    };
    std::unordered_map<std::string, lookup> cache_;
};

}  // namespace edge::routing
