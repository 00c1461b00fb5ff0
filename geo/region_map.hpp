#pragma once
// The country → region rule that gives a client its region: an explicit region in the database
// record wins, then the operator's country overrides (routing.db's optional country_regions table,
// read by routing/ and handed here), then edgeProxy's built-in defaults, then a continent fallback
// (--region-by-continent "AF=eu,AS=ap,..."). Anything else stays unknown: never silently "us",
// as edgeProxy does, because a wrong region is worse than none (no tier 1 rather than a wrong one).
//
// A region_map is an immutable value: built on the control thread with region_map_builder, then
// shared read-only by every worker (by value in a snapshot or behind a shared_ptr<const>).

#include <array>
#include <cstdint>
#include <string_view>

#include "base/result.hpp"
#include "geo/types.hpp"

namespace edge::geo {

enum class region_map_error : std::uint8_t {
    bad_country,    // not two ASCII letters
    bad_continent,  // not one of AF AN AS EU NA OC SA
    bad_region,     // empty, longer than 15 bytes, or with spaces/control bytes
    bad_syntax,     // a --region-by-continent item without '=', e.g. "AF-eu"
};

/// One line of text for a region_map_error; any thread.
const char* describe(region_map_error e) noexcept;

class region_map {
  public:
    /// A map that knows nothing: only database-given regions resolve.
    region_map() noexcept = default;

    /// The client's region for a database record (see the precedence at the top). Any thread;
    /// no allocation.
    region_code region_of(const record& r) const noexcept;
    /// The record's country and continent with region_of() filled in; any thread.
    location locate(const record& r) const noexcept {
        return {r.country, region_of(r), r.continent};
    }

    /// A country's region from overrides or defaults, without any fallback; any thread.
    region_code country_region(country_code c) const noexcept;
    /// A continent's region from the --region-by-continent fallback; any thread.
    region_code continent_region(continent_code c) const noexcept;

    /// Hash of the map's content: equal maps have equal fingerprints, so a lookup cache keeps
    /// its entries when a routing reload rebuilds an unchanged map. Any thread.
    std::uint64_t fingerprint() const noexcept { return fingerprint_; }

    /// Same content (the control thread may keep the old map when a reload changes nothing).
    friend bool operator==(const region_map& a, const region_map& b) noexcept {
        return a.by_country_ == b.by_country_ && a.by_continent_ == b.by_continent_;
    }

  private:
    friend class region_map_builder;
    static constexpr std::size_t continent_count = 7;  // AF AN AS EU NA OC SA, in that order

    std::array<region_code, 26 * 26> by_country_{};
    std::array<region_code, continent_count> by_continent_{};
    std::uint64_t fingerprint_ = 0;
};

class region_map_builder {
  public:
    /// Starts from edgeProxy's built-in defaults, or from nothing. Control thread.
    explicit region_map_builder(bool with_defaults = true) noexcept;

    /// Sets or replaces a country's region (one country_regions row). Control thread.
    result<void, region_map_error> set_country(std::string_view country, std::string_view region);
    /// Sets or replaces a continent's fallback region. Control thread.
    result<void, region_map_error> set_continent(std::string_view continent,
                                                 std::string_view region);
    /// Applies a --region-by-continent value such as "AF=eu,AS=ap,EU=eu,NA=us,OC=ap,SA=sa";
    /// spaces around items are ignored, an empty value sets nothing. All or nothing: on error no
    /// item is applied. Control thread.
    result<void, region_map_error> set_continents(std::string_view flag_value);

    /// The finished immutable map. Control thread.
    region_map build() const noexcept;

  private:
    region_map map_;
};

/// edgeProxy's built-in map, as a finished region_map; any thread.
region_map default_region_map() noexcept;

}  // namespace edge::geo
