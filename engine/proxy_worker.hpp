#pragma once
// The worker the proxy runs: the components each core hosts. Adding a component to the proxy is
// adding its type here (and its files).

#include "engine/host/worker.hpp"
#include "engine/tcp/tcp_proxy.hpp"
#include "engine/tunnel/data_path.hpp"

namespace edge::engine {

using proxy_worker = worker<tcp_proxy, tunnel_data_path>;

}  // namespace edge::engine
