#include "routing/option_tables.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"
#include "routing/field_checks.hpp"

namespace edge::routing {

std::string country_region_label(const raw_country_region& row) {
    return fmt::format("country_regions {}", shown(row.country));
}

result<country_region, std::string> validate_country_region(const raw_country_region& row) {
    auto c = need_text(row.country, "country", false);
    if (!c) return unexpected(c.error());
    auto cc = geo::country_code::parse(edge::trim(*c));
    if (!cc) return unexpected(std::string("country is not a two-letter code"));
    auto r = need_text(row.region, "region", false);
    if (!r) return unexpected(r.error());
    auto rc = geo::region_code::parse(edge::trim(*r));
    if (!rc)
        return unexpected(
            fmt::format("region {} is empty, longer than {} bytes or has invalid "
                        "characters",
                        shown(row.region), geo::region_code::max_length));
    return country_region{*cc, *rc};
}

std::string send_proxy_label(const raw_send_proxy& row) {
    return fmt::format("send_proxy {}", shown(row.id));
}

result<std::pair<std::string, std::uint8_t>, std::string> validate_send_proxy(
    const raw_send_proxy& row) {
    auto id = validate_draining_id(row.id);
    if (!id) return unexpected(id.error());
    auto v = need_integer(row.version, "version", 1, 2);
    if (!v) return unexpected(std::string("version must be 1 or 2"));
    return std::pair{std::move(*id), static_cast<std::uint8_t>(*v)};
}

result<std::string, std::string> validate_draining_id(const db_value& id) {
    auto text = need_text(id, "id", false);
    if (!text) return unexpected(text.error());
    if (edge::trim(*text).empty()) return unexpected(std::string("id is empty"));
    return std::move(*text);
}

}  // namespace edge::routing
