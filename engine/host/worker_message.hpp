#pragma once
// Messages from the control thread to a worker: one variant type, queued in the worker's inbox
// (an SPSC queue) and taken in at a loop boundary. The worker handles drain and stop itself and
// hands every other message to each component that takes it (an on_message overload).

#include <cstdint>
#include <memory>
#include <variant>

#include "engine/host/tunnel_messages.hpp"
#include "geo/database.hpp"
#include "geo/region_map.hpp"
#include "routing/types.hpp"

namespace edge::engine {

/// Stop accepting, let live work finish (SIGTERM/SIGINT).
struct drain_message {};
/// Stop at once (a second signal, or a failed start-up).
struct stop_message {};

/// New routing tables for the TCP proxy; null members stay as they are. The worker acknowledges
/// `publication` once it has swapped (worker_base::publication()), and the control thread frees
/// what was replaced only after every worker has.
struct tables_message {
    std::uint64_t publication = 0;
    routing::snapshot_ptr snap;
    std::shared_ptr<const geo::database> geo_db;
    std::shared_ptr<const geo::region_map> region_map;
};

using worker_message =
    std::variant<drain_message, stop_message, tables_message, tunnel_keys_message,
                 tunnel_routes_message, tunnel_datagram_message, tunnel_queue_message>;

}  // namespace edge::engine
