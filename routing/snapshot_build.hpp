#pragma once
// Turns validated backends into an immutable snapshot: slots from the registry, and everything
// selection needs precomputed (the candidate array, region indices, slot → backend index).
// Control thread (and tools).

#include <vector>

#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// What goes into a snapshot, already validated, in table order.
struct snapshot_input {
    std::vector<backend> backends;  // slot/shared/generation unset; `draining` already set
    std::vector<country_region> country_regions;
    std::vector<wg_peer> wg_peers;
    std::vector<health_check> health_checks;  // backend::health_check already indexes it
    geo::region_code pop_region;
};

/// Builds a snapshot (version from registry.begin_build()). Backends for which the registry has
/// no free slot are left out and appended to `rejected`. Control thread.
snapshot_ptr build_snapshot(snapshot_input in, backend_registry& registry,
                            std::vector<rejected_row>& rejected);

}  // namespace edge::routing
