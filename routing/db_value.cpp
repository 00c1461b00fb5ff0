#include "routing/db_value.hpp"

#include "base/strings.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

namespace edge::routing {

namespace {}  // namespace

std::optional<std::int64_t> db_value::as_integer() const noexcept {
    switch (t) {
        case type::integer:
            return i;
        case type::real:
            if (std::isfinite(r) && r == std::floor(r) && r >= -9.0e18 && r <= 9.0e18)
                return static_cast<std::int64_t>(r);
            return std::nullopt;
        case type::text: {
            std::string_view v = edge::trim(s);
            std::int64_t n = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
            return n;
        }
        case type::null:
        case type::blob:
            return std::nullopt;
    }
    return std::nullopt;
}

std::string db_value::as_text() const {
    switch (t) {
        case type::null:
            return "NULL";
        case type::integer:
            return std::to_string(i);
        case type::real:
            return fmt::format("{}", r);
        case type::text:
            return s;
        case type::blob:
            return fmt::format("<blob of {} bytes>", s.size());
    }
    return {};
}

}  // namespace edge::routing
