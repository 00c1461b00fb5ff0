#pragma once
// GET /status: what the running process holds, as JSON — the counterpart of routing.db, which
// says what the operator asked for. Version and uptime, workers, listeners, the routing snapshot
// in force (its generation and when it was loaded), every backend with the inputs of its tier
// and score (region, country, weight, soft and hard limits), its configured health and drain,
// live and total connections, connect failures and bytes; per-region counts; the GeoIP
// database in force; the access log; each backend's configured health check and its effective
// health on this POP and why (engine/host/health_status.hpp); WireGuard peers, with null where
// their runtime state goes once that part runs. `edgectl status` and the status page (GET /) read
// it. Rendered on the control thread, per request.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/socket_address.hpp"
#include "engine/host/health_board.hpp"
#include "engine/host/listener_set.hpp"
#include "engine/host/metrics.hpp"
#include "geo/database.hpp"
#include "routing/types.hpp"

namespace edge::engine {

class access_log;

/// Everything GET /status reports; pointers may be null where a part is off.
class tunnel_control;

struct status_inputs {
    std::span<const worker_metrics* const> workers;
    const routing::snapshot* snap = nullptr;
    std::int64_t snapshot_loaded_ms = 0;  // realtime ms when the control thread took it in
    std::string db_path;
    std::string pop_region;
    std::span<const listen_spec> listeners;
    std::optional<socket_address> admin;
    bool admin_token = false;
    const geo::database* geo = nullptr;
    std::string geo_path;  // "" without --geoip
    std::int64_t geo_loaded_ms = 0;
    const routing_stats* routing = nullptr;
    const access_log* access = nullptr;
    const health_board* health = nullptr;    // null: no health checker runs
    const tunnel_control* tunnel = nullptr;  // null: no WireGuard tunnel (--wg-config)
    std::int64_t started_ms = 0;             // realtime ms at start-up
    std::int64_t now_ms = 0;                 // realtime ms now
    bool draining = false;
};

/// Appends the /status JSON document (one object) to `out`. Control thread.
void render_status_json(std::string& out, const status_inputs& in);

}  // namespace edge::engine
