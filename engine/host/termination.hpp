#pragma once
// How a client connection ended, as the access log names it: one value for every way out of
// the TCP component (a proxied connection's close_reason or a refused client's reject_reason),
// with a word for grep and HAProxy's two-character tcplog termination state for operators who
// read those already (first: what ended it — '-' nothing unusual, C/S the client/server aborted
// or refused, c/s a client/server-side timeout, P the proxy's own limit or check, R a resource
// ran out, K killed by the operator; second: the stage — R before the request was routed, C
// while connecting to a backend, D while relaying data, '-' finished normally).

#include <array>
#include <cstdint>

#include "engine/host/metrics.hpp"

namespace edge::engine {

enum class termination : std::uint8_t {
    // proxied: the connection reached a backend (close_reason)
    normal,         // both directions finished
    idle_timeout,   // silent both ways for --idle-timeout
    client_reset,   // reset or error on the client side
    backend_reset,  // reset or error on the backend side
    drain,          // still open when --drain-timeout ran out
    evicted,        // held the most buffers when the pool and spill ran out
    // refused: the client never reached a backend (reject_reason)
    no_backend,
    capacity,
    connect_failed,
    connect_timeout,  // connect_failed, the last attempt timed out
    overload,
    fd_exhausted,
    client_gone,
    bad_header,
    header_timeout,
    count_,
};

inline constexpr std::array<const char*, std::size_t(termination::count_)> termination_names = {
    "normal",   "idle_timeout", "client_reset", "backend_reset",  "drain",
    "evicted",  "no_backend",   "capacity",     "connect_failed", "connect_timeout",
    "overload", "fd_exhausted", "client_gone",  "bad_header",     "header_timeout"};

/// HAProxy's tcplog termination state for each value (see the top of this file).
inline constexpr std::array<const char*, std::size_t(termination::count_)> termination_flags = {
    "--", "cD", "CD", "SD", "KD", "RD", "SC", "PC", "SC", "sC", "RR", "RC", "CR", "PR", "cR"};

/// The termination of a proxied connection closed for `why`. Any thread.
constexpr termination to_termination(close_reason why) noexcept {
    switch (why) {
        case close_reason::done:
            return termination::normal;
        case close_reason::idle_timeout:
            return termination::idle_timeout;
        case close_reason::client_error:
            return termination::client_reset;
        case close_reason::backend_error:
            return termination::backend_reset;
        case close_reason::drain_timeout:
            return termination::drain;
        case close_reason::evicted:
        case close_reason::count_:
            break;
    }
    return termination::evicted;
}

/// The termination of a client refused for `why`. Any thread.
constexpr termination to_termination(reject_reason why) noexcept {
    switch (why) {
        case reject_reason::no_backend:
            return termination::no_backend;
        case reject_reason::capacity:
            return termination::capacity;
        case reject_reason::connect_failed:
            return termination::connect_failed;
        case reject_reason::overload:
            return termination::overload;
        case reject_reason::fd_exhausted:
            return termination::fd_exhausted;
        case reject_reason::client_gone:
            return termination::client_gone;
        case reject_reason::bad_header:
            return termination::bad_header;
        case reject_reason::header_timeout:
        case reject_reason::count_:
            break;
    }
    return termination::header_timeout;
}

}  // namespace edge::engine
