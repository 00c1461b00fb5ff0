#include "geo/region_map.hpp"

#include "base/strings.hpp"

#include <cstring>

#include "geo/countries.hpp"

namespace edge::geo {

namespace {

// edgeProxy's built-in country → region table (its src/geo.rs), kept as the default.
struct default_region {
    std::string_view region;
    std::string_view countries;  // two-letter codes separated by one space
};
constexpr default_region defaults[] = {
    {"sa", "BR AR CL PE CO UY PY BO EC VE"},
    {"us", "US CA MX"},
    {"eu", "PT ES FR DE NL IT GB IE BE CH AT PL CZ SE NO DK FI RU UA"},
    {"ap", "JP KR TW HK SG MY TH VN ID PH AU NZ CN IN"},
};

constexpr std::string_view continents[] = {"AF", "AN", "AS", "EU", "NA", "OC", "SA"};

std::size_t country_index(country_code c) noexcept {
    return static_cast<std::size_t>((c.value >> 8) - 'A') * 26 +
           static_cast<std::size_t>((c.value & 0xff) - 'A');
}

int continent_index(continent_code c) noexcept {
    for (std::size_t i = 0; i < std::size(continents); ++i) {
        if (continent_code::parse(continents[i]) == c) return static_cast<int>(i);
    }
    return -1;
}

// FNV-1a over the map's bytes: cheap, deterministic, and only compared for equality.
std::uint64_t fnv1a(const void* p, std::size_t n, std::uint64_t h) noexcept {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

}  // namespace

const char* describe(region_map_error e) noexcept {
    switch (e) {
        case region_map_error::bad_country:
            return "country code must be two ASCII letters";
        case region_map_error::bad_continent:
            return "continent code must be one of AF AN AS EU NA OC SA";
        case region_map_error::bad_region:
            return "region must be 1-15 printable ASCII bytes without spaces";
        case region_map_error::bad_syntax:
            return "expected CONTINENT=REGION items separated by commas";
    }
    return "unknown region map error";
}

region_code region_map::country_region(country_code c) const noexcept {
    if (!c.known()) return {};
    return by_country_[country_index(c)];
}

region_code region_map::continent_region(continent_code c) const noexcept {
    int i = continent_index(c);
    if (i < 0) return {};
    return by_continent_[static_cast<std::size_t>(i)];
}

region_code region_map::region_of(const record& r) const noexcept {
    if (r.region.known()) return r.region;
    if (auto reg = country_region(r.country); reg.known()) return reg;
    continent_code cont = r.continent;
    if (!cont.known()) {
        // Databases with countries but no continents still get the fallback.
        if (auto c = continent_of(r.country)) cont = *c;
    }
    if (cont.known()) return continent_region(cont);
    return {};
}

region_map_builder::region_map_builder(bool with_defaults) noexcept {
    if (!with_defaults) return;
    for (const auto& d : defaults) {
        auto region = *region_code::parse(d.region);
        for (std::size_t i = 0; i + 1 < d.countries.size(); i += 3) {
            auto c = *country_code::parse(d.countries.substr(i, 2));
            map_.by_country_[country_index(c)] = region;
        }
    }
}

result<void, region_map_error> region_map_builder::set_country(std::string_view country,
                                                               std::string_view region) {
    auto c = country_code::parse(edge::trim(country));
    if (!c) return unexpected(region_map_error::bad_country);
    auto r = region_code::parse(edge::trim(region));
    if (!r) return unexpected(region_map_error::bad_region);
    map_.by_country_[country_index(*c)] = *r;
    return {};
}

result<void, region_map_error> region_map_builder::set_continent(std::string_view continent,
                                                                 std::string_view region) {
    auto c = continent_code::parse(edge::trim(continent));
    if (!c) return unexpected(region_map_error::bad_continent);
    int i = continent_index(*c);
    if (i < 0) return unexpected(region_map_error::bad_continent);
    auto r = region_code::parse(edge::trim(region));
    if (!r) return unexpected(region_map_error::bad_region);
    map_.by_continent_[static_cast<std::size_t>(i)] = *r;
    return {};
}

result<void, region_map_error> region_map_builder::set_continents(std::string_view flag_value) {
    region_map_builder trial = *this;
    std::string_view rest = flag_value;
    while (!edge::trim(rest).empty()) {
        auto comma = rest.find(',');
        std::string_view item = edge::trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (item.empty()) continue;  // tolerate "AF=eu,,AS=ap" and a trailing comma
        auto eq = item.find('=');
        if (eq == std::string_view::npos) return unexpected(region_map_error::bad_syntax);
        auto r = trial.set_continent(item.substr(0, eq), item.substr(eq + 1));
        if (!r) return r;
    }
    *this = trial;
    return {};
}

region_map region_map_builder::build() const noexcept {
    region_map m = map_;
    std::uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(m.by_country_.data(), sizeof m.by_country_, h);
    h = fnv1a(m.by_continent_.data(), sizeof m.by_continent_, h);
    // An empty map keeps fingerprint 0, like a default-constructed one.
    m.fingerprint_ = m == region_map{} ? 0 : h;
    return m;
}

region_map default_region_map() noexcept {
    return region_map_builder(true).build();
}

}  // namespace edge::geo
