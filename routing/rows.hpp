#pragma once
// Rows of routing.db's tables as SQLite (or a feed) typed them, before any check: the one input of
// validation, whether the row is about to be loaded (routing/loader) or written (routing/writer).
// No SQLite here.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "routing/db_value.hpp"

namespace edge::routing {

/// A `backends` row as read, before any check. `country` is NULL when the table has none.
struct raw_row {
    std::int64_t rowid = 0;
    db_value id, app, region, country, wg_ip, port, healthy, weight, soft_limit, hard_limit,
        deleted;
};

/// A `country_regions` row: a country → region override.
struct raw_country_region {
    db_value country, region;
};

/// A `send_proxy` row: the PROXY protocol version (1 or 2) written to backend `id`.
struct raw_send_proxy {
    db_value id, version;
};

/// A `wg_peers` row (issue 13): a WireGuard peer of this POP. The private key is never here.
struct raw_wg_peer {
    db_value public_key, preshared_key, endpoint, allowed_ips, persistent_keepalive;
};

/// A `health_checks` row (issue 14): how backend `id` is checked, overriding the defaults.
struct raw_health_check {
    db_value id, kind, send, expect, http_path, http_status, interval_ms, timeout_ms, rise, fall,
        jitter_ms;
};

/// A whole routing.db: every table's rows, in table order, and the key/value rows of
/// `sync_state` (what a feed such as `edgectl sync` records about its source).
struct table_set {
    std::vector<raw_row> backends;
    std::vector<raw_country_region> country_regions;
    std::vector<std::string> draining;  // backend ids
    std::vector<raw_send_proxy> send_proxy;
    std::vector<raw_wg_peer> wg_peers;
    std::vector<raw_health_check> health_checks;
    std::vector<std::pair<std::string, std::string>> sync_state;
};

}  // namespace edge::routing
