#pragma once
// The worker the proxy runs: the components each core hosts. Adding a component to the proxy is
// adding its type here (and its files).

#include "engine/health/checker.hpp"
#include "engine/host/worker.hpp"
#include "engine/tcp/tcp_proxy.hpp"
#include "engine/tunnel/data_path.hpp"

namespace edge::engine {

using proxy_worker = worker<tcp_proxy, tunnel_data_path>;

/// The health checker's thread: a worker host of its own, unpinned, running only the checker, so
/// that checks never share a relay worker's loop (docs/ARCHITECTURE.md, "Health checks").
using health_worker = worker<health::checker>;

}  // namespace edge::engine
