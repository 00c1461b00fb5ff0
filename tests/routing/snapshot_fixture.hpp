#pragma once
// Builds snapshots in memory for selection tests and benchmarks (no database needed).

#include <string>
#include <vector>

#include "routing/address.hpp"
#include "routing/registry.hpp"
#include "routing/snapshot_build.hpp"

namespace edge::routing::test {

struct backend_spec {
    std::string id = {};
    std::string region = "sa";
    std::string country = {};  // "" = unknown
    std::uint32_t weight = 1;
    std::uint32_t soft_limit = 1;
    std::uint32_t hard_limit = 0;
    bool healthy = true;
    bool draining = false;
};

inline backend make_backend(const backend_spec& s) {
    backend b;
    b.id = s.id;
    b.region = *geo::region_code::parse(s.region);
    if (!s.country.empty()) b.country = *geo::country_code::parse(s.country);
    b.address = *parse_ip_literal("10.0.0.1", 80);
    b.weight = s.weight ? s.weight : 1;
    b.soft_limit = s.soft_limit ? s.soft_limit : 1;
    b.hard_limit = s.hard_limit;
    b.healthy = s.healthy;
    b.draining = s.draining;
    return b;
}

inline snapshot_ptr make_snapshot(backend_registry& reg, const std::vector<backend_spec>& specs,
                                  const std::string& pop = "sa") {
    snapshot_input in;
    in.pop_region = *geo::region_code::parse(pop);
    for (const auto& s : specs)
        in.backends.push_back(make_backend(s));
    std::vector<rejected_row> rejected;
    return build_snapshot(std::move(in), reg, rejected);
}

inline geo::location client(const std::string& country, const std::string& region) {
    geo::location l;
    if (!country.empty()) l.country = *geo::country_code::parse(country);
    if (!region.empty()) l.region = *geo::region_code::parse(region);
    return l;
}

}  // namespace edge::routing::test
