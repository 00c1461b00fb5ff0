#pragma once
// systemd's readiness protocol (sd_notify(3)), without libsystemd: when the service manager set
// NOTIFY_SOCKET (Type=notify), state changes are one datagram each to that Unix socket ("@" at
// its start names the abstract namespace). The proxy sends READY=1 once it accepts (with
// MAINPID= when it took over from another process, which NotifyAccess=all lets systemd believe),
// RELOADING=1 while a takeover runs, and STOPPING=1 when a drain starts. Without NOTIFY_SOCKET
// every call does nothing.

#include <string_view>

namespace edge::engine {

/// Sends `state` ("READY=1", "STOPPING=1", lines joined with '\n'); false when NOTIFY_SOCKET is
/// set and the send failed (logged by the caller if it matters). Any thread.
bool systemd_notify(std::string_view state) noexcept;

/// RELOADING=1 with the MONOTONIC_USEC= stamp systemd 253 and later ask for.
bool systemd_notify_reloading() noexcept;

}  // namespace edge::engine
