#pragma once
// What one backend's active check does and when: the proxy's flags (health_options), overridden
// field by field by the backend's row in the optional `health_checks` table. Built by the checker
// when a routing table arrives (hot reload: the next check uses the new row); a check in flight
// keeps the spec it started with (shared_ptr), so a reload never pulls bytes from under it.

#include <cstdint>
#include <memory>
#include <string>

#include "base/socket_address.hpp"
#include "engine/health/check_state.hpp"
#include "engine/host/health_options.hpp"
#include "routing/types.hpp"

namespace edge::engine::health {

struct check_spec {
    routing::health_check_kind kind = routing::health_check_kind::tcp;
    /// Bytes written once connected: send_expect's `send`, or http's whole request.
    std::string request;
    /// send_expect: the reply must start with these bytes.
    std::string expect;
    std::uint16_t status_min = 200;  // http: the status must be within [min, max]
    std::uint16_t status_max = 299;
    check_timing timing;
    /// From a health_checks row (false: the flags' defaults).
    bool from_row = false;
};

/// The spec of a backend with no health_checks row: a TCP connect with the flags' timing
/// (interval 0 when --check-interval is 0: not checked). Checker thread.
std::shared_ptr<const check_spec> default_spec(const health_options& o);

/// The spec of backend `address` with the health_checks row `row`. A row's interval checks the
/// backend even under --check-interval 0. Checker thread.
std::shared_ptr<const check_spec> spec_for(const health_options& o,
                                           const routing::health_check& row,
                                           const socket_address& address);

/// "tcp", "send_expect 'PING\r\n' → '+PONG'", "http GET /health → 2xx": one line for logs. Any
/// thread.
std::string describe(const check_spec& s);

}  // namespace edge::engine::health
