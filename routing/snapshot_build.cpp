#include "routing/snapshot_build.hpp"

#include <fmt/format.h>

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
    snap->candidates.reserve(snap->backends.size());
    for (std::size_t i = 0; i < snap->backends.size(); ++i) {
        const backend& b = snap->backends[i];
        snap->index_by_slot[b.slot] = static_cast<std::int32_t>(i);
        auto [it, fresh] =
            region_index.try_emplace(b.region, static_cast<std::uint32_t>(snap->regions.size()));
        if (fresh) snap->regions.push_back(b.region);
        if (!b.healthy || b.draining) continue;
        candidate c;
        c.inv_capacity = 1.0 / (static_cast<double>(b.soft_limit) * static_cast<double>(b.weight));
        c.shared = b.shared;
        c.slot = b.slot;
        c.hard_limit = b.hard_limit;
        c.region_index = it->second;
        c.backend_index = static_cast<std::uint32_t>(i);
        c.country = b.country.value;
        c.base_tier = (in.pop_region.known() && b.region == in.pop_region) ? 2 : 3;
        snap->candidates.push_back(c);
    }
    return snap;
}

}  // namespace edge::routing
