#pragma once
// The etcd key layout of routing.db (design §8): under a prefix (/edgeproxy/v1/ by default) one
// key per row — backends/<id>, wg_peers/<public key>, country_regions/<cc>, health_checks/<id>,
// send_proxy/<id>, draining/<id> — whose value is a JSON object with the table's columns (the
// key's last part fills the id column). The sync decodes values into rows with strict JSON types
// (a port must be a number, not "8080"); edgectl --etcd encodes rows the same way. Row checks
// beyond JSON types are routing/'s validation, the same as for a file. Pure code; tools.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/result.hpp"
#include "routing/rows.hpp"

namespace edge::feed {

inline constexpr const char* default_prefix = "/edgeproxy/v1/";

enum class feed_table : std::uint8_t {
    backends,
    wg_peers,
    country_regions,
    health_checks,
    send_proxy,
    draining,
};

/// "backends", "wg_peers", …: the table's folder under the prefix.
const char* table_folder(feed_table t) noexcept;

/// A key under the prefix: its table and the row's name (id, public key or country).
struct feed_key {
    feed_table table;
    std::string name;
};

/// The table and name of `key`, or nullopt when it is not prefix + folder + "/" + a non-empty
/// name (a key of another layout version or a stray key: ignored, and counted by the caller).
std::optional<feed_key> parse_feed_key(std::string_view prefix, std::string_view key);

/// prefix + folder + "/" + name.
std::string feed_key_text(std::string_view prefix, feed_table t, std::string_view name);

/// A decoded value: the row of its table (a draining entry is just the backend id).
using feed_row = std::variant<routing::raw_row, routing::raw_wg_peer, routing::raw_country_region,
                              routing::raw_health_check, routing::raw_send_proxy, std::string>;

/// The row a value stands for, or why it is not one: not a JSON object, an unknown field, a
/// field of the wrong JSON type, a required field missing, an id field disagreeing with the key.
result<feed_row, std::string> decode_value(const feed_key& key, std::string_view value);

/// The JSON value of a row (fields that are NULL are left out).
std::string encode_value(const feed_row& row);

/// Appends `row` to its table in `t`.
void add_row(routing::table_set& t, feed_row row);

}  // namespace edge::feed
