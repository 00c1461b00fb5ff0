#pragma once
// Prometheus series of the health checker (issue 14): process-wide (checks in flight and
// deferred, backends out of service, the panic gauge, passive reports, capped ejections) and per
// backend (in service or not, state, weight share, checks by result, ejections, check duration
// histogram in seconds), the per-backend ones paged like the rest of /metrics.

#include <string>

#include "engine/host/health_board.hpp"
#include "engine/host/metrics.hpp"
#include "routing/types.hpp"

namespace edge::engine {

/// Appends the health series for the backends of `snap` that `page` names (every process-wide
/// series unless page.only_backends). Control thread (the admin endpoint).
void render_health_metrics(std::string& out, const health_board& board,
                           const routing::snapshot* snap, const backend_page& page);

}  // namespace edge::engine
