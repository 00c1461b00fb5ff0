#pragma once
// client_socket: a plain client socket made with syscalls, for the modes that need a real
// descriptor (bind to a source address, TCP_NODELAY, shutdown): optionally bound to source
// address number `index` with IP_BIND_ADDRESS_NO_PORT, so the port is chosen at connect time for
// the whole 4-tuple and each source address gets its own ~28k ephemeral ports per target.

#include <cstdint>

#include "tools/edge_load/endpoint.hpp"

namespace edge::load {

/// Returns the new socket, or a negative errno; any thread.
int open_client_socket(const socket_address& target, const source_set* sources, std::uint64_t index,
                       bool nodelay) noexcept;

}  // namespace edge::load
