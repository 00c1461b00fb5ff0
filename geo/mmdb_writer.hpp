#pragma once
// Writes MaxMind DB files (format 2.0) from CIDR → record entries, for `edgectl geo build`:
// private networks, tests and the demo. Pure C++, no allocation concerns (tools and tests only).
//
// The file is an IPv6 tree (ip_version 6) with IPv4 networks under ::/96, as MaxMind writes
// them, and ::ffff:0:0/96 aliased to that IPv4 subtree so that an IPv4-mapped address looked up
// as IPv6 (mmdblookup --ip ::ffff:1.2.3.4) finds the IPv4 answer too. Records hold
// country.iso_code, continent.code and edge_region, the fields geo::database reads.
// Overlapping networks are allowed and the most specific wins, whatever the insertion order.

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/result.hpp"
#include "geo/ip_address.hpp"
#include "geo/types.hpp"

namespace edge::geo {

enum class write_error : std::uint8_t {
    duplicate_network,  // the same network inserted twice
    too_large,          // more than 2^32 tree nodes + data bytes
};

/// One line of text for a write_error; any thread.
const char* describe(write_error e) noexcept;

struct writer_options {
    std::string database_type = "edgeproxy-geo";
    std::string description = "edgeproxy geo database (edgectl geo build)";
    /// Seconds since the epoch recorded in the metadata; 0 means now.
    std::uint64_t build_epoch = 0;
    /// Search-tree record size in bits: 24, 28 or 32; 0 picks the smallest that fits. A size too
    /// small for the file is raised to one that fits.
    unsigned record_size = 0;
};

class mmdb_writer {
  public:
    /// Adds `net` → `rec` (unknown fields of rec are left out of the record). Errors on a
    /// network added before. Any thread (one writer per thread).
    result<void, write_error> insert(const ip_network& net, const record& rec);

    /// The finished file's bytes. Any thread.
    result<std::vector<std::uint8_t>, write_error> serialize(const writer_options& opts = {}) const;

    /// Number of networks inserted. Any thread.
    std::size_t size() const noexcept { return entries_.size(); }

  private:
    struct entry {
        ip_network net;  // in tree form: IPv4 under ::/96, not ::ffff:0:0/96
        record rec;
    };
    struct network_hash {
        std::size_t operator()(const ip_network& n) const noexcept;
    };
    std::vector<entry> entries_;
    std::unordered_set<ip_network, network_hash> seen_;
};

}  // namespace edge::geo
