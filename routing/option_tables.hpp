#pragma once
// Validation of the small optional tables: `country_regions` (country → region overrides) and
// `send_proxy` (PROXY protocol version per backend). Shared by the loader and the writer.
// Any thread.

#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "routing/rows.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// "country_regions 'CC'": how a row is named in a rejection.
std::string country_region_label(const raw_country_region& row);

/// A two-letter country and a valid region name, or the reason not.
result<country_region, std::string> validate_country_region(const raw_country_region& row);

/// "send_proxy 'ID'": how a row is named in a rejection.
std::string send_proxy_label(const raw_send_proxy& row);

/// A backend id (text without control characters) and version 1 or 2, or the reason not.
result<std::pair<std::string, std::uint8_t>, std::string> validate_send_proxy(
    const raw_send_proxy& row);

/// A `draining` id: text without control characters, not empty.
result<std::string, std::string> validate_draining_id(const db_value& id);

}  // namespace edge::routing
