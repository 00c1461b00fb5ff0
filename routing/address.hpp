#pragma once
// Backend addresses from routing.db's wg_ip: IPv4/IPv6 literals (parsed by base/socket_address),
// or host names resolved with getaddrinfo. Resolution blocks, so it never runs on a worker or on
// the control thread's loop (engine/control: the loader thread), only where waiting is allowed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// True when `text` is syntactically a DNS host name (letters, digits, '-', '_', dots; labels of
/// 1–63 bytes; 253 bytes in all; the last label not all digits). Any thread.
bool is_host_name(std::string_view text) noexcept;

/// Resolves wg_ip values for one load, asking getaddrinfo once per distinct host name.
class address_resolver {
  public:
    /// With `resolve_names` false, a syntactically valid host name is accepted without asking
    /// DNS and "resolves" to an empty address: for writers of routing.db (a feed
    /// or edgectl --no-resolve), where a name is the proxy's to resolve at load time and a
    /// resolver failing here must not keep a row out of the file.
    explicit address_resolver(bool resolve_names = true) noexcept : resolve_names_(resolve_names) {}

    /// A literal, or the first TCP address of a host name; the error is a reason for the
    /// rejected row. Blocking; control thread or tools.
    result<socket_address, std::string> resolve(std::string_view host, std::uint16_t port);

  private:
    struct lookup {
        bool ok = false;
        socket_address address;  // port 0: filled in per row
        std::string error;
    };
    std::unordered_map<std::string, lookup> cache_;
    bool resolve_names_ = true;
};

}  // namespace edge::routing
