#include "routing/row_validation.hpp"

#include "base/strings.hpp"
#include "routing/field_checks.hpp"

#include <fmt/format.h>

#include <limits>
#include <string_view>

namespace edge::routing {

namespace {

constexpr auto u32_max = std::numeric_limits<std::uint32_t>::max();

}  // namespace

std::string row_label(const raw_row& row) {
    if (row.id.t == db_value::type::text || row.id.t == db_value::type::integer) {
        std::string id = row.id.as_text();
        if (!edge::trim(id).empty()) return edge::escape_control(id);
    }
    return fmt::format("rowid {}", row.rowid);
}

result<std::optional<backend>, std::string> validate_row(const raw_row& row,
                                                         address_resolver& resolver) {
    // deleted: NULL or 0 = active (edgeProxy's rule).
    if (!row.deleted.is_null()) {
        auto d = row.deleted.as_integer();
        if (!d) return unexpected(fmt::format("deleted {} is not an integer", shown(row.deleted)));
        if (*d != 0) return std::optional<backend>{};
    }

    backend b;
    switch (row.id.t) {
        case db_value::type::null:
            return unexpected(std::string("id is NULL"));
        case db_value::type::text:
        case db_value::type::integer:
            b.id = row.id.as_text();
            break;
        default:
            return unexpected(fmt::format("id {} is not text", shown(row.id)));
    }
    if (edge::trim(b.id).empty()) return unexpected(std::string("id is empty"));
    if (auto at = edge::find_control_char(b.id); at != std::string::npos)
        return unexpected(
            fmt::format("id contains a control character ({})", edge::control_char_name(b.id[at])));
    auto app = need_text(row.app, "app", true);
    if (!app) return unexpected(app.error());
    b.app = std::move(*app);

    {
        auto region = need_text(row.region, "region", false);
        if (!region) return unexpected(region.error());
        std::string name = std::move(*region);
        std::string_view r = edge::trim(name);
        if (r.empty()) return unexpected(std::string("region is empty"));
        if (r.size() > geo::region_code::max_length)
            return unexpected(fmt::format("region '{}' is longer than {} bytes", r,
                                          geo::region_code::max_length));
        auto code = geo::region_code::parse(r);
        if (!code) return unexpected(fmt::format("region '{}' has invalid characters", r));
        b.region = *code;
    }

    if (!row.country.is_null()) {
        auto country = need_text(row.country, "country", true);
        if (!country) return unexpected(country.error());
        std::string name = std::move(*country);
        std::string_view c = edge::trim(name);
        if (!c.empty()) {  // '' is "unknown", like NULL
            auto code = geo::country_code::parse(c);
            if (!code)
                return unexpected(
                    fmt::format("country {} is not a two-letter code", shown(row.country)));
            b.country = *code;
        }
    }

    auto port = need_integer(row.port, "port", 1, 65535);
    if (!port) return unexpected(port.error());
    auto healthy = need_integer(row.healthy, "healthy", std::numeric_limits<std::int64_t>::min(),
                                std::numeric_limits<std::int64_t>::max());
    if (!healthy) return unexpected(healthy.error());
    b.healthy = *healthy != 0;
    auto weight = need_integer(row.weight, "weight", 0, u32_max);
    if (!weight) return unexpected(weight.error());
    auto soft = need_integer(row.soft_limit, "soft_limit", 0, u32_max);
    if (!soft) return unexpected(soft.error());
    auto hard = need_integer(row.hard_limit, "hard_limit", 0, u32_max);
    if (!hard) return unexpected(hard.error());
    // design §5: weight 0 and soft_limit 0 count as 1; hard_limit 0 is unlimited.
    b.weight = *weight == 0 ? 1 : static_cast<std::uint32_t>(*weight);
    b.soft_limit = *soft == 0 ? 1 : static_cast<std::uint32_t>(*soft);
    b.hard_limit = static_cast<std::uint32_t>(*hard);

    if (row.wg_ip.is_null()) return unexpected(std::string("wg_ip is NULL"));
    if (row.wg_ip.t != db_value::type::text)
        return unexpected(
            fmt::format("wg_ip {} is not an IP address or host name", shown(row.wg_ip)));
    if (auto text = need_text(row.wg_ip, "wg_ip", false); !text) return unexpected(text.error());
    auto addr = resolver.resolve(edge::trim(row.wg_ip.s), static_cast<std::uint16_t>(*port));
    if (!addr) return unexpected(addr.error());
    b.address = *addr;
    return std::optional<backend>(std::move(b));
}

}  // namespace edge::routing
