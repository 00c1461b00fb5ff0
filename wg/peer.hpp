#pragma once
// One peer of a tunnel (whitepaper §2-§6): its identity and cookies, the handshake in flight, its
// keypairs, its timers, its endpoint and the packets waiting for a session. Plain state; the
// tunnel (tunnel.hpp) runs the protocol over it.
//
// Threading: the control (handshake) thread owns every field. Workers see a peer only through
// the keypairs the tunnel publishes and report back through tunnel::note_*.

#include <cstdint>
#include <optional>
#include <vector>

#include "base/socket_address.hpp"
#include "wg/allowed_ips.hpp"
#include "wg/cookie.hpp"
#include "wg/handshake.hpp"
#include "wg/session.hpp"
#include "wg/staged_packets.hpp"
#include "wg/timers.hpp"
#include "wg/types.hpp"

namespace edge::wg {

/// What an operator configures for a peer ([Peer] of a wg-quick file).
struct peer_config {
    key public_key{};
    std::optional<key> preshared_key;
    std::optional<socket_address> endpoint;
    std::vector<ip_prefix> allowed_ips;
    std::uint16_t persistent_keepalive_s = 0;  ///< 0: off
};

/// What `wg show` prints of a peer, and the per-peer metrics (issue 13 exports them).
struct peer_stats {
    time_ns last_handshake = no_deadline;  ///< when the last handshake completed (none yet)
    std::uint64_t rx_bytes = 0, tx_bytes = 0;
    std::uint64_t handshakes = 0;  ///< completed, either role
    std::uint64_t initiations_sent = 0;
};

class peer {
  public:
    /// A peer as configured, with no handshake yet. Control thread.
    peer(peer_id id, const local_identity& local, const peer_config& config,
         std::size_t staged_capacity, std::size_t staged_max_size) noexcept;

    const peer_id id;
    const remote_identity identity;
    cookie_generator cookies;
    handshake_state handshake;
    session keypairs;
    peer_timers timers;
    staged_packets staged;
    std::optional<socket_address> endpoint;
    std::uint16_t persistent_keepalive_s;
    peer_stats stats;

    // §5.1 replay protection of initiations: the newest timestamp accepted, and when.
    tai64n last_timestamp{};
    time_ns last_initiation_consumed = no_deadline;
    // §6.2/§6.4: when our current handshake attempt series started and the last initiation went.
    time_ns handshake_started = no_deadline;
    time_ns last_initiation_sent = no_deadline;
    bool wants_initiation = false;  ///< a rekey is due; tick() sends the initiation
    bool is_retry = false;          ///< the next initiation is a retransmission (§6.4)
    bool need_another_keepalive = false;
    /// Bumped whenever the keypairs change; the control thread republishes them to workers.
    std::uint64_t epoch = 0;
};

}  // namespace edge::wg
