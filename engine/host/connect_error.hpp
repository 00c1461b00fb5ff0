#pragma once
// Why a connect to a backend failed, from its errno: one classification for the TCP component's
// client connects (the per-backend failure metric, passive ejection) and the health checker's
// checks, so that "refused" or "timeout" means the same in every series and log line.

#include "engine/host/metrics.hpp"

namespace edge::engine {

/// The reason a connect (or a check's exchange) failed with `err`: ECONNREFUSED refused; no
/// route unreachable; ECONNRESET, ECONNABORTED, EPIPE reset; ECANCELED (a linked timeout or a
/// deadline cancelled it) and ETIMEDOUT timeout; anything else other. Any thread.
connect_failure classify_connect_error(int err) noexcept;

}  // namespace edge::engine
