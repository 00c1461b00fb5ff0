#pragma once
// Backend selection: the score of design brief §5, run on a worker for every new connection.
// No allocation, no lock, no string compare.

#include <cstdint>
#include <span>

#include "geo/types.hpp"
#include "routing/health_view.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// The geo tier of `b` for `client`: 0 same country, 1 same region, 2 the POP's region, 3 other.
/// Unknown client fields match nothing. Any thread.
unsigned tier(const backend& b, const geo::location& client,
              const geo::region_code& pop_region) noexcept;

/// Score of a healthy backend for a client: 100·tier + (c / soft_limit) / weight, lowest wins.
/// Tier 0: client's country; 1: client's region; 2: the POP's region; 3: any other.
/// Any thread; the reference for select_backend, which uses precomputed values instead.
double score(const backend& b, const geo::location& client, const geo::region_code& pop_region,
             std::uint32_t live) noexcept;

/// Picks the eligible backend with the lowest score for `client`. Backends that tie (every idle
/// backend of the best tier, typically) share new connections in proportion to their weight,
/// through `state`. `live_by_slot` is the calling worker's own live-connection counts, indexed by
/// backend slot. Backends whose slot is in `skip` (already tried for this connection) are passed
/// over; unhealthy ones and those at hard_limit (by the shared count) too. With `health`, backends
/// it says are out of service are passed over too (a tier with none in service spills to the
/// next), those in slow start count with part of their weight, and when no candidate at all is in
/// service its panic rule decides (fail open: as if none were checked). Returns nullptr when none
/// is eligible. Worker thread; no allocation.
const backend* select_backend(const snapshot& s, const geo::location& client,
                              std::span<const std::uint32_t> live_by_slot,
                              std::span<const std::uint32_t> skip, selection_state& state,
                              const health_view* health = nullptr) noexcept;

/// The backend a binding (slot, generation) points to in `s`, if it is still there, still the
/// same id (generation), healthy and (with `health`) in service; nullptr otherwise. Draining
/// backends stay bound. The caller still reserves it with try_reserve. Worker thread; no
/// allocation.
const backend* bound_backend(const snapshot& s, std::uint32_t slot, std::uint32_t generation,
                             const health_view* health = nullptr) noexcept;

/// Index of `r` in s.regions, or UINT32_MAX when unknown or no backend is in it. Any thread.
std::uint32_t region_index_of(const snapshot& s, const geo::region_code& r) noexcept;

/// Takes one live-connection reservation on `b` unless that would pass its hard_limit across
/// all workers. Any worker thread.
bool try_reserve(const backend& b) noexcept;

/// Returns a reservation taken by try_reserve. Safe after `b`'s snapshot is gone, hence the
/// shared state rather than the backend row. Any worker thread.
void release(backend_shared& shared) noexcept;

}  // namespace edge::routing
