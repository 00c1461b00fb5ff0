#pragma once
// Validation of the optional `wg_peers` table (issue 13): a row becomes a routing::wg_peer or is
// rejected alone with its reason. Used by the loader (rows read) and the writer (rows about to be
// written), so that both apply the same rules. Control thread and tools.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "routing/address.hpp"
#include "routing/rows.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// How a wg_peers row is named in a rejection: "wg_peers 'KEY'" (its public key as written).
std::string wg_peer_label(const raw_wg_peer& row);

/// Validates one row: public_key a canonical 44-character base64 key; preshared_key NULL/'' or
/// such a key (never quoted back: it is a secret); endpoint NULL/'' or host:port (IPv4, [IPv6] or
/// a host name, resolved through `resolver`); allowed_ips a comma-separated list of prefixes;
/// persistent_keepalive NULL or 0–65535 seconds. Control thread or tools.
result<wg_peer, std::string> validate_wg_peer(const raw_wg_peer& row, address_resolver& resolver);

}  // namespace edge::routing
