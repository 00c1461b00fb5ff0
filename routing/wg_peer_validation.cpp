#include "routing/wg_peer_validation.hpp"

#include <fmt/format.h>

#include "base/key_base64.hpp"
#include "base/strings.hpp"
#include "routing/field_checks.hpp"

namespace edge::routing {

std::string wg_peer_label(const raw_wg_peer& row) {
    return fmt::format("wg_peers {}", shown(row.public_key));
}

result<wg_peer, std::string> validate_wg_peer(const raw_wg_peer& row, address_resolver& resolver) {
    wg_peer peer;
    auto pub = need_text(row.public_key, "public_key", false);
    if (!pub) return unexpected(pub.error());
    auto key = edge::key_from_base64(edge::trim(*pub));
    if (!key)
        return unexpected(
            fmt::format("public_key {} is not a 32-byte key in base64 (44 "
                        "characters, as `wg pubkey` prints)",
                        shown(row.public_key)));
    peer.public_key = *key;

    // The preshared key is a secret: never quoted back in a message or a log line.
    if (!row.preshared_key.is_null()) {
        if (row.preshared_key.t != db_value::type::text)
            return unexpected(std::string("preshared_key is not text"));
        std::string_view psk = edge::trim(row.preshared_key.s);
        if (!psk.empty()) {
            auto k = edge::key_from_base64(psk);
            if (!k)
                return unexpected(std::string(
                    "preshared_key is not a 32-byte key in base64 (as `wg genpsk` prints)"));
            peer.preshared_key = *k;
        }
    }

    auto endpoint = need_text(row.endpoint, "endpoint", true);
    if (!endpoint) return unexpected(endpoint.error());
    if (std::string_view e = edge::trim(*endpoint); !e.empty()) {
        // host:port with an IPv4 literal or a host name, or [IPv6]:port; port 0 is no port.
        auto parts = split_host_port(e);
        if (parts && (parts->first.empty() || parts->second == 0)) parts.reset();
        if (!parts)
            return unexpected(
                fmt::format("endpoint {} is not host:port (IPv4:port, [IPv6]:port "
                            "or name:port)",
                            shown(row.endpoint)));
        auto addr = resolver.resolve(parts->first, parts->second);
        if (!addr) return unexpected(fmt::format("endpoint: {}", addr.error()));
        peer.endpoint_text = std::string(e);
        peer.endpoint = *addr;
    }

    auto allowed = need_text(row.allowed_ips, "allowed_ips", true);
    if (!allowed) return unexpected(allowed.error());
    std::string_view list = *allowed;
    while (!edge::trim(list).empty()) {
        auto comma = list.find(',');
        std::string_view item = edge::trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (item.empty()) continue;  // "a,,b" or a trailing comma, as wg-quick accepts
        auto p = ip_prefix::parse(item);
        if (!p)
            return unexpected(
                fmt::format("allowed_ips: '{}' is not an IP prefix (10.0.0.0/24, "
                            "fd00::/64)",
                            edge::escape_control(item)));
        bool dup = false;
        for (const ip_prefix& q : peer.allowed_ips)
            dup = dup || q == *p;
        if (!dup) peer.allowed_ips.push_back(*p);
    }

    auto keepalive = optional_integer(row.persistent_keepalive, "persistent_keepalive", 0, 65535);
    if (!keepalive) return unexpected(keepalive.error());
    peer.persistent_keepalive = static_cast<std::uint16_t>(keepalive->value_or(0));
    return peer;
}

}  // namespace edge::routing
