#pragma once
// The configuration operators already have: a wg-quick file (wg-quick(8), wg(8) CONFIGURATION
// FILE FORMAT). [Interface]: PrivateKey or PrivateKeyFile, Address, ListenPort, MTU; [Peer]:
// PublicKey, PresharedKey, Endpoint, AllowedIPs, PersistentKeepalive. Keys are base64 as `wg`
// prints them. wg-quick's own keys (DNS, Table, FwMark, SaveConfig, Pre/PostUp/Down) are accepted
// and listed in `ignored` for the caller to warn about; anything else is an error.
//
// Start-up code (error policy tier 2): errors are messages naming the file and line, never
// containing a key. A private key read from a file — PrivateKeyFile, or PrivateKey inline in a
// config file — is refused when that file is readable by group or others. No DNS here: an
// Endpoint given as a host name is returned as text for the caller to resolve. Control thread
// (start-up, reload).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "wg/allowed_ips.hpp"
#include "wg/peer.hpp"
#include "wg/types.hpp"

namespace edge::wg {

/// An address of the tunnel's interface with its prefix length ("10.99.0.1/24": the host bits
/// stay, unlike an allowed-IPs prefix).
struct interface_address {
    socket_address address;  // port 0
    std::uint8_t length = 32;
};

struct interface_config {
    key private_key{};
    std::vector<interface_address> addresses;
    std::optional<std::uint16_t> listen_port;
    std::optional<std::uint32_t> mtu;
    ~interface_config();
};

struct peer_entry {
    peer_config peer;
    /// "host:port" when Endpoint named a host rather than an address (peer.endpoint is then
    /// empty until the caller resolves it).
    std::string endpoint_host;
    int line = 0;  ///< where the [Peer] section starts
};

struct tunnel_config {
    interface_config interface;
    std::vector<peer_entry> peers;
    std::vector<std::string> ignored;  ///< "file:line: Key" of wg-quick keys without effect here
};

struct config_error {
    std::string message;  ///< "wg0.conf:12: ..." — never a key
};

/// Parses a config's text; `name` prefixes messages; a PrivateKeyFile is read (and its mode
/// checked). Control thread.
result<tunnel_config, config_error> parse_config(std::string_view text, std::string_view name);

/// Reads and parses a config file, refusing an inline PrivateKey in a file readable by group or
/// others. Control thread.
result<tunnel_config, config_error> load_config(const std::string& path);

}  // namespace edge::wg
