#pragma once
// Defect 4 of issue 11: with SO_REUSEPORT a second edgeproxy on the same address starts without a
// word and takes half the clients. Before binding an address, the proxy asks whether anyone
// listens there already: a probe socket with SO_REUSEADDR but without SO_REUSEPORT binds the
// address. Linux refuses that bind (EADDRINUSE) exactly when a socket listens on an overlapping
// address and port (TIME_WAIT leftovers do not count), whoever owns it. The error then names the
// address, the process holding it when it can be found, and the two deliberate ways to share it.

#include <string>

#include "base/result.hpp"
#include "base/socket_address.hpp"

namespace edge::engine {

/// Succeeds when nothing listens on `addr` (or an overlapping wildcard address on its port);
/// otherwise an error for the operator: the address, its holder ("pid 1234, edgeproxy") when
/// /proc shows it, and how to take over (`--takeover`) or share on purpose (`--share-listeners`).
/// `what` names the flag ("--listen", "--metrics"). Errors other than EADDRINUSE pass: the real
/// bind reports them. Main thread, at start-up (reads /proc only when the address is taken).
result<void, std::string> check_address_free(const socket_address& addr, const char* what);

/// "pid 1234 (edgeproxy)" for the process holding a TCP listening socket on `port`, or "" when
/// /proc does not tell (another user's process, another network namespace). Start-up only.
std::string listener_holder(const socket_address& addr);

}  // namespace edge::engine
