#pragma once
// Listening sockets. Every worker has its own SO_REUSEPORT socket per --listen address, so the
// kernel spreads new connections across workers and a connection's accept, relay and close stay
// on one core (a cross-core wake-up costs tens of microseconds here).

#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

/// Creates, binds and listens a TCP socket with SO_REUSEPORT and TCP_NODELAY (inherited by
/// accepted sockets). For IPv6 addresses IPV6_V6ONLY is set so that [::]:P and 0.0.0.0:P can be
/// listed side by side. Start-up (main thread).
result<unique_fd> open_listener(const socket_address& addr, unsigned backlog) noexcept;

/// The address a socket is bound to (resolves port 0).
result<socket_address> bound_address(int fd) noexcept;

}  // namespace edge::engine
