#include "tools/feed/feed_layout.hpp"

#include <fmt/format.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <span>

namespace edge::feed {

using json = nlohmann::json;
using routing::db_value;

namespace {

constexpr feed_table all_tables[] = {feed_table::backends,        feed_table::wg_peers,
                                     feed_table::country_regions, feed_table::health_checks,
                                     feed_table::send_proxy,      feed_table::draining};

// What JSON a column takes.
enum class json_kind : std::uint8_t {
    text,             // a string (or null when not required)
    integer,          // a JSON integer
    flag,             // true/false or an integer
    text_or_integer,  // a string or an integer (http_status: "2xx" or 204)
    ip_list,          // "10.0.0.0/8,fd00::/64" or ["10.0.0.0/8", "fd00::/64"]
};

template <class Row>
struct column_spec {
    const char* name;
    db_value Row::*field;
    json_kind kind;
    bool required;
    db_value fallback;  // when the field is absent (and not required)
};

db_value num(std::int64_t n) {
    return db_value::of(n);
}
db_value text(const char* s) {
    return db_value::of(std::string(s));
}

using routing::raw_country_region;
using routing::raw_health_check;
using routing::raw_row;
using routing::raw_send_proxy;
using routing::raw_wg_peer;

// The id column of each table is filled from the key and is not listed here.
const column_spec<raw_row> backend_columns[] = {
    {"app", &raw_row::app, json_kind::text, false, text("")},
    {"region", &raw_row::region, json_kind::text, true, {}},
    {"country", &raw_row::country, json_kind::text, false, {}},
    {"wg_ip", &raw_row::wg_ip, json_kind::text, true, {}},
    {"port", &raw_row::port, json_kind::integer, true, {}},
    {"healthy", &raw_row::healthy, json_kind::flag, false, num(1)},
    {"weight", &raw_row::weight, json_kind::integer, false, num(1)},
    {"soft_limit", &raw_row::soft_limit, json_kind::integer, false, num(100)},
    {"hard_limit", &raw_row::hard_limit, json_kind::integer, false, num(0)},
    {"deleted", &raw_row::deleted, json_kind::flag, false, num(0)},
};
const column_spec<raw_wg_peer> wg_peer_columns[] = {
    {"preshared_key", &raw_wg_peer::preshared_key, json_kind::text, false, {}},
    {"endpoint", &raw_wg_peer::endpoint, json_kind::text, false, {}},
    {"allowed_ips", &raw_wg_peer::allowed_ips, json_kind::ip_list, false, text("")},
    {"persistent_keepalive", &raw_wg_peer::persistent_keepalive, json_kind::integer, false, {}},
};
const column_spec<raw_country_region> country_region_columns[] = {
    {"region", &raw_country_region::region, json_kind::text, true, {}},
};
const column_spec<raw_health_check> health_check_columns[] = {
    {"kind", &raw_health_check::kind, json_kind::text, false, {}},
    {"send", &raw_health_check::send, json_kind::text, false, {}},
    {"expect", &raw_health_check::expect, json_kind::text, false, {}},
    {"http_path", &raw_health_check::http_path, json_kind::text, false, {}},
    {"http_status", &raw_health_check::http_status, json_kind::text_or_integer, false, {}},
    {"interval_ms", &raw_health_check::interval_ms, json_kind::integer, false, {}},
    {"timeout_ms", &raw_health_check::timeout_ms, json_kind::integer, false, {}},
    {"rise", &raw_health_check::rise, json_kind::integer, false, {}},
    {"fall", &raw_health_check::fall, json_kind::integer, false, {}},
    {"jitter_ms", &raw_health_check::jitter_ms, json_kind::integer, false, {}},
};
const column_spec<raw_send_proxy> send_proxy_columns[] = {
    {"version", &raw_send_proxy::version, json_kind::integer, true, {}},
};

// The JSON value of one field as the column's db_value, or why not.
result<db_value, std::string> field_value(const json& v, const char* name, json_kind kind,
                                          bool required) {
    auto wrong = [&](const char* want) {
        return unexpected(fmt::format("{} must be {}, not {}", name, want, v.type_name()));
    };
    if (v.is_null()) {
        if (required) return unexpected(fmt::format("{} is required", name));
        return db_value::null();
    }
    auto integer = [&]() -> result<db_value, std::string> {
        if (v.is_number_unsigned() &&
            v.get<std::uint64_t>() >
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return unexpected(fmt::format("{} {} is out of range", name, v.dump()));
        if (v.is_number_integer()) return db_value::of(v.get<std::int64_t>());
        if (v.is_number_float())
            return unexpected(fmt::format("{} {} is not an integer", name, v.dump()));
        return wrong("an integer");
    };
    switch (kind) {
        case json_kind::text:
            if (!v.is_string()) return wrong("a string");
            return db_value::of(v.get<std::string>());
        case json_kind::integer:
            return integer();
        case json_kind::flag:
            if (v.is_boolean()) return db_value::of(std::int64_t{v.get<bool>() ? 1 : 0});
            if (v.is_number()) return integer();
            return wrong("true, false or an integer");
        case json_kind::text_or_integer:
            if (v.is_string()) return db_value::of(v.get<std::string>());
            if (v.is_number()) return integer();
            return wrong("a string or an integer");
        case json_kind::ip_list:
            if (v.is_string()) return db_value::of(v.get<std::string>());
            if (v.is_array()) {
                std::string list;
                for (const json& item : v) {
                    if (!item.is_string()) return wrong("a list of strings");
                    list += (list.empty() ? "" : ",") + item.get<std::string>();
                }
                return db_value::of(list);
            }
            return wrong("a string or a list of strings");
    }
    return wrong("?");
}

// Fills `row` from the object `j` following `columns`; `id_names` are the fields that may repeat
// the key's name (they must then agree with it).
template <class Row>
result<void, std::string> decode_object(const json& j, std::span<const column_spec<Row>> columns,
                                        std::initializer_list<const char*> id_names,
                                        const std::string& name, Row& row) {
    for (const auto& [field, v] : j.items()) {
        bool known = false;
        for (const char* id : id_names) {
            if (field != id) continue;
            known = true;
            if (!v.is_string() || v.template get<std::string>() != name)
                return unexpected(fmt::format("{} {} does not match the key", field, v.dump()));
        }
        for (const auto& c : columns)
            known = known || field == c.name;
        if (!known) return unexpected(fmt::format("unknown field '{}'", field));
    }
    for (const auto& c : columns) {
        if (!j.contains(c.name)) {
            if (c.required) return unexpected(fmt::format("{} is required", c.name));
            row.*c.field = c.fallback;
            continue;
        }
        auto v = field_value(j[c.name], c.name, c.kind, c.required);
        if (!v) return unexpected(v.error());
        row.*c.field = std::move(*v);
    }
    return {};
}

template <class Row>
json encode_object(const Row& row, std::span<const column_spec<Row>> columns) {
    json j = json::object();
    for (const auto& c : columns) {
        const db_value& v = row.*c.field;
        if (v.is_null()) continue;
        auto n = v.as_integer();
        bool numeric = c.kind == json_kind::integer || c.kind == json_kind::flag ||
                       (c.kind == json_kind::text_or_integer && v.t == db_value::type::integer);
        if (numeric && n)
            j[c.name] = *n;
        else
            j[c.name] = v.as_text();
    }
    return j;
}

}  // namespace

const char* table_folder(feed_table t) noexcept {
    switch (t) {
        case feed_table::backends:
            return "backends";
        case feed_table::wg_peers:
            return "wg_peers";
        case feed_table::country_regions:
            return "country_regions";
        case feed_table::health_checks:
            return "health_checks";
        case feed_table::send_proxy:
            return "send_proxy";
        case feed_table::draining:
            return "draining";
    }
    return "";
}

std::optional<feed_key> parse_feed_key(std::string_view prefix, std::string_view key) {
    if (key.substr(0, prefix.size()) != prefix) return std::nullopt;
    key.remove_prefix(prefix.size());
    for (feed_table t : all_tables) {
        std::string_view folder = table_folder(t);
        // A public key in base64 may hold '/', so the name is everything after the folder.
        if (key.size() > folder.size() + 1 && key.substr(0, folder.size()) == folder &&
            key[folder.size()] == '/')
            return feed_key{t, std::string(key.substr(folder.size() + 1))};
    }
    return std::nullopt;
}

std::string feed_key_text(std::string_view prefix, feed_table t, std::string_view name) {
    return fmt::format("{}{}/{}", prefix, table_folder(t), name);
}

result<feed_row, std::string> decode_value(const feed_key& key, std::string_view value) {
    json j = json::parse(value, nullptr, false);
    if (j.is_discarded()) return unexpected(std::string("value is not JSON"));
    if (!j.is_object())
        return unexpected(fmt::format("value is a JSON {}, not an object", j.type_name()));
    db_value name = db_value::of(key.name);
    auto done = [](auto row, result<void, std::string> r) -> result<feed_row, std::string> {
        if (!r) return unexpected(r.error());
        return feed_row(std::move(row));
    };
    switch (key.table) {
        case feed_table::backends: {
            raw_row row;
            row.id = name;
            return done(row, decode_object<raw_row>(j, backend_columns, {"id"}, key.name, row));
        }
        case feed_table::wg_peers: {
            raw_wg_peer row;
            row.public_key = name;
            return done(
                row, decode_object<raw_wg_peer>(j, wg_peer_columns, {"public_key"}, key.name, row));
        }
        case feed_table::country_regions: {
            raw_country_region row;
            row.country = name;
            return done(row, decode_object<raw_country_region>(j, country_region_columns,
                                                               {"country"}, key.name, row));
        }
        case feed_table::health_checks: {
            raw_health_check row;
            row.id = name;
            return done(row, decode_object<raw_health_check>(j, health_check_columns, {"id"},
                                                             key.name, row));
        }
        case feed_table::send_proxy: {
            raw_send_proxy row;
            row.id = name;
            return done(
                row, decode_object<raw_send_proxy>(j, send_proxy_columns, {"id"}, key.name, row));
        }
        case feed_table::draining:
            for (const auto& [field, v] : j.items())
                if (field != "id" || !v.is_string() || v.get<std::string>() != key.name)
                    return unexpected(fmt::format("unknown field '{}'", field));
            return feed_row(key.name);
    }
    return unexpected(std::string("unknown table"));
}

std::string encode_value(const feed_row& row) {
    struct visitor {
        json operator()(const raw_row& r) { return encode_object<raw_row>(r, backend_columns); }
        json operator()(const raw_wg_peer& r) {
            return encode_object<raw_wg_peer>(r, wg_peer_columns);
        }
        json operator()(const raw_country_region& r) {
            return encode_object<raw_country_region>(r, country_region_columns);
        }
        json operator()(const raw_health_check& r) {
            return encode_object<raw_health_check>(r, health_check_columns);
        }
        json operator()(const raw_send_proxy& r) {
            return encode_object<raw_send_proxy>(r, send_proxy_columns);
        }
        json operator()(const std::string&) { return json::object(); }
    };
    return std::visit(visitor{}, row).dump();
}

void add_row(routing::table_set& t, feed_row row) {
    struct visitor {
        routing::table_set& t;
        void operator()(raw_row&& r) { t.backends.push_back(std::move(r)); }
        void operator()(raw_wg_peer&& r) { t.wg_peers.push_back(std::move(r)); }
        void operator()(raw_country_region&& r) { t.country_regions.push_back(std::move(r)); }
        void operator()(raw_health_check&& r) { t.health_checks.push_back(std::move(r)); }
        void operator()(raw_send_proxy&& r) { t.send_proxy.push_back(std::move(r)); }
        void operator()(std::string&& id) { t.draining.push_back(std::move(id)); }
    };
    std::visit(visitor{t}, std::move(row));
}

}  // namespace edge::feed
