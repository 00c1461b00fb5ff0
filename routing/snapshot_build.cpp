#include "routing/snapshot_build.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace edge::routing {

namespace {

struct region_hash {
    std::size_t operator()(const geo::region_code& r) const noexcept {
        return static_cast<std::size_t>((r.w[0] * 0x9E3779B97F4A7C15ull) ^ r.w[1]);
    }
};

}  // namespace

snapshot_ptr build_snapshot(snapshot_input in, backend_registry& registry,
                            std::vector<rejected_row>& rejected) {
    auto snap = std::make_shared<snapshot>();
    snap->version = registry.begin_build();
    snap->pop_region = in.pop_region;
    snap->country_regions = std::move(in.country_regions);
    snap->wg_peers = std::move(in.wg_peers);
    snap->health_checks = std::move(in.health_checks);
    snap->backends.reserve(in.backends.size());

    for (backend& b : in.backends) {
        auto slot = registry.acquire(b.id, snap->version);
        if (!slot) {
            rejected.push_back({b.id, fmt::format("no free backend slot (registry capacity {})",
                                                  registry.capacity())});
            continue;
        }
        b.slot = slot->slot;
        b.generation = slot->generation;
        b.shared = slot->shared;
        snap->backends.push_back(std::move(b));
    }

    snap->slot_capacity = registry.slot_high_water();
    snap->index_by_slot.assign(snap->slot_capacity, -1);
    std::unordered_map<geo::region_code, std::uint32_t, region_hash> region_index;
    std::vector<std::uint32_t> region_of(snap->backends.size());
    std::vector<std::uint32_t> per_region;  // candidates per region, then running offsets
    for (std::size_t i = 0; i < snap->backends.size(); ++i) {
        const backend& b = snap->backends[i];
        snap->index_by_slot[b.slot] = static_cast<std::int32_t>(i);
        auto [it, fresh] =
            region_index.try_emplace(b.region, static_cast<std::uint32_t>(snap->regions.size()));
        if (fresh) {
            snap->regions.push_back(b.region);
            per_region.push_back(0);
        }
        region_of[i] = it->second;
        if (b.healthy && !b.draining) ++per_region[it->second];
    }
    if (auto it = region_index.find(in.pop_region);
        in.pop_region.known() && it != region_index.end())
        snap->pop_region_index = it->second;

    // Candidates grouped by region (a counting sort keeps table order within each region).
    snap->region_begin.assign(snap->regions.size() + 1, 0);
    for (std::size_t r = 0; r < per_region.size(); ++r)
        snap->region_begin[r + 1] = snap->region_begin[r] + per_region[r];
    std::vector<std::uint32_t> next(snap->region_begin.begin(), snap->region_begin.end() - 1);
    snap->candidates.resize(snap->region_begin.back());
    snap->candidate_weights.resize(snap->region_begin.back());
    for (std::size_t i = 0; i < snap->backends.size(); ++i) {
        const backend& b = snap->backends[i];
        if (!b.healthy || b.draining) continue;
        std::uint32_t at = next[region_of[i]]++;
        // Weights above 2^24 share ties as 2^24 would: the running sums of a tie stay within 64
        // bits (2^24 · 2^16 slots · 2^32 sequence points), and no table means such ratios.
        snap->candidate_weights[at] = std::min<std::uint32_t>(b.weight, 1u << 24);
        snap->equal_weights =
            snap->equal_weights && snap->candidate_weights[at] == snap->candidate_weights[0];
        candidate& c = snap->candidates[at];
        c.inv_capacity = 1.0 / (static_cast<double>(b.soft_limit) * static_cast<double>(b.weight));
        c.shared = b.shared;
        c.slot = b.slot;
        c.hard_limit = b.hard_limit;
        c.region_index = region_of[i];
        c.country = b.country.value;
        c.base_tier = region_of[i] == snap->pop_region_index ? 2 : 3;
    }

    // Tier 0 lookups: candidate indices grouped by country.
    std::vector<std::pair<std::uint16_t, std::uint32_t>> by_country;
    for (std::uint32_t i = 0; i < snap->candidates.size(); ++i)
        if (snap->candidates[i].country != 0)
            by_country.emplace_back(snap->candidates[i].country, i);
    std::stable_sort(by_country.begin(), by_country.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    snap->country_members.reserve(by_country.size());
    for (const auto& [country, idx] : by_country) {
        auto pos = static_cast<std::uint32_t>(snap->country_members.size());
        if (snap->countries.empty() || snap->countries.back().country != country)
            snap->countries.push_back({country, pos, pos});
        snap->country_members.push_back(idx);
        snap->countries.back().end = pos + 1;
    }
    return snap;
}

}  // namespace edge::routing
