#pragma once
// The CSV that `edgectl geo build` reads: one `CIDR,COUNTRY[,REGION]` per line, IPv4 or IPv6,
// '#' starting a comment (whole line or trailing), blank lines ignored, an optional header line
// "network,country[,region]" (or "cidr,...") first. COUNTRY must be an ISO 3166-1 code (XK too);
// the continent is filled in from it. Tools and tests only (allocates freely).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "geo/ip_address.hpp"
#include "geo/types.hpp"

namespace edge::geo {

struct csv_network {
    ip_network net;
    record rec;          // country, its continent, and the region when given
    std::uint32_t line;  // 1-based
};

enum class csv_error_kind : std::uint8_t {
    missing_country,    // a line with only one field
    too_many_fields,    // more than three fields
    bad_network,        // detail: network_error
    bad_country,        // not two letters
    unknown_country,    // two letters but not an ISO 3166-1 country
    bad_region,         // empty, longer than 15 bytes, or with spaces/control bytes
    duplicate_network,  // same network as an earlier line (other_line)
};

struct csv_error {
    csv_error_kind kind;
    std::uint32_t line;
    std::uint32_t other_line = 0;  // for duplicate_network: where it was first listed
    network_error network = network_error::bad_address;  // for bad_network
};

/// "line 7: unknown country code" style text for one error; any thread.
std::string describe(const csv_error& e);

/// Parses the whole CSV text. On failure returns every error found (up to `max_errors`), in line
/// order, so the operator can fix them in one pass. Any thread.
result<std::vector<csv_network>, std::vector<csv_error>> parse_network_csv(
    std::string_view text, std::size_t max_errors = 50);

}  // namespace edge::geo
