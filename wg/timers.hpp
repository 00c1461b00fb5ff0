#pragma once
// WireGuard's timers (whitepaper §6) as deadlines: the protocol constants, and per peer the
// moments at which something must happen, computed from events the caller reports with `now`.
// Nothing here reads a clock or sleeps; the tunnel turns due deadlines into packets in tick().
//
// Threading: a peer's timers belong to the control (handshake) thread. Workers report what they
// sent and received through the tunnel's note_* calls on that thread (issue 13 posts them).

#include <cstdint>

#include "wg/types.hpp"

namespace edge::wg {

using namespace std::chrono_literals;

/// The protocol's limits (whitepaper §6.1), in one struct so that tests and the interop test
/// can shorten them; a tunnel uses the defaults unless told otherwise.
struct protocol_limits {
    /// §6.1 Rekey-After-Messages: a new handshake once a keypair has sent 2^60 messages.
    std::uint64_t rekey_after_messages = std::uint64_t(1) << 60;
    /// §6.1 Reject-After-Messages: no keypair sends or accepts counter 2^64 - 2^13 - 1 or later.
    std::uint64_t reject_after_messages = ~std::uint64_t(0) - (std::uint64_t(1) << 13);
    /// §6.1 Rekey-After-Time: the initiator of a keypair starts a new handshake after 120 s.
    time_ns rekey_after_time = 120s;
    /// §6.1 Reject-After-Time: a keypair older than 180 s is never used.
    time_ns reject_after_time = 180s;
    /// §6.1 Rekey-Attempt-Time: retries of a handshake stop after 90 s.
    time_ns rekey_attempt_time = 90s;
    /// §6.1 Rekey-Timeout: an initiation unanswered after 5 s is retried (plus jitter, §6.4).
    time_ns rekey_timeout = 5s;
    /// §6.4: up to 333 ms of random jitter is added to each Rekey-Timeout.
    time_ns rekey_timeout_jitter = 333ms;
    /// §6.1 Keepalive-Timeout: a keepalive answers data after 10 s of our silence.
    time_ns keepalive_timeout = 10s;

    /// §6.2: an initiator receiving on a keypair this old starts a new handshake, so that the
    /// keypair is replaced before Reject-After-Time even if it only receives.
    time_ns rekey_on_receive_age() const noexcept {
        return reject_after_time - keepalive_timeout - rekey_timeout;
    }
    /// §6.3: all key material is wiped after three Reject-After-Times without a new handshake.
    time_ns zero_keys_after() const noexcept { return 3 * reject_after_time; }
    /// §6.4 (wireguard-go's handshake ceiling): attempts per handshake before giving up.
    std::uint32_t max_attempts() const noexcept {
        return std::uint32_t(rekey_attempt_time / rekey_timeout);
    }
};

/// §5.1 (wireguard-go's rate): a responder accepts at most 50 initiations per second per peer.
inline constexpr time_ns min_initiation_interval = 20ms;

/// One peer's deadlines. Each is no_deadline when not armed.
struct peer_timers {
    time_ns retransmit_handshake = no_deadline;  ///< §6.4: resend an unanswered initiation
    time_ns send_keepalive = no_deadline;        ///< §6.5: answer received data with a keepalive
    time_ns new_handshake = no_deadline;         ///< §6.5: sent data and heard nothing back
    time_ns zero_keys = no_deadline;             ///< §6.3: wipe everything after 3 × 180 s
    time_ns persistent_keepalive = no_deadline;  ///< §6.5: keep a NAT mapping open

    /// The earliest armed deadline. Any thread holding the peer.
    time_ns earliest() const noexcept;
};

}  // namespace edge::wg
