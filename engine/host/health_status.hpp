#pragma once
// Each backend's effective state on this POP and why, as one record per backend, for the status
// page and anything else the control thread renders (issue 14: "effective state and why").
// Effective health = routing.db's `healthy` (the operator's word) AND the active check AND not
// ejected; draining keeps bound clients but takes no new ones.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/host/health_board.hpp"
#include "routing/types.hpp"

namespace edge::engine {

struct backend_health_status {
    std::string id;
    std::string address;
    /// New clients may be sent to it: healthy in routing.db, not draining, its checks up, not
    /// ejected. (When no backend at all is in service, the panic rule may still send clients to
    /// it: `panic` below.)
    bool in_service = false;
    /// "up", "slow_start", "down", "ejected", "draining", "disabled" (routing.db healthy = 0),
    /// or "unchecked" (no checks and no ejection run for it).
    const char* state = "unchecked";
    /// One line: why it is in that state, e.g. "3 checks failed in a row (last: refused)".
    std::string why;
    /// Share of its weight selection gives it now (slow start), in per cent.
    unsigned weight_percent = 100;
    /// Milliseconds in this state (0 when unknown).
    std::uint64_t for_ms = 0;
    /// The last check's duration in microseconds (0: none yet).
    std::uint64_t last_check_us = 0;
    std::uint64_t checks_passed = 0;
    std::uint64_t checks_failed = 0;
    std::uint64_t ejections = 0;
};

/// The status of each of `backends` (a routing table's, or a page of it), in order; `board`
/// null: no checker runs. `now_ms` is the monotonic coarse clock (engine/uring/clock.hpp).
/// Control thread.
std::vector<backend_health_status> describe_health(const health_board* board,
                                                   std::span<const routing::backend> backends,
                                                   std::uint64_t now_ms);

/// True while no selectable backend is in service, so selection's panic rule is in force.
/// Control thread.
bool health_panic(const health_board* board) noexcept;

}  // namespace edge::engine
