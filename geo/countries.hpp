#pragma once
// ISO 3166-1 alpha-2 countries and the continent each belongs to, as GeoNames (and so MaxMind)
// assigns them. Used by the MMDB writer to put a continent into each record it writes, and by
// edgectl to reject a mistyped country code. Pure data; any thread.

#include <optional>

#include "geo/types.hpp"

namespace edge::geo {

/// The continent of an ISO 3166-1 country (plus XK, Kosovo, which MaxMind uses); nullopt for a
/// code that is not an assigned country. Any thread.
std::optional<continent_code> continent_of(country_code c) noexcept;

/// True for the seven continent codes MaxMind writes: AF AN AS EU NA OC SA. Any thread.
bool is_continent(continent_code c) noexcept;

}  // namespace edge::geo
