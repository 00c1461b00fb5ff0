#pragma once
// What crosses between the WireGuard tunnel's two halves: its data path runs on every worker
// (engine/tunnel/), its handshakes and timers on the control thread (engine/control/
// tunnel_control). Messages to workers go through their inboxes (worker_message); events from
// workers through one event_channel per worker. Types only.

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/socket_address.hpp"
#include "wg/allowed_ips.hpp"
#include "wg/session.hpp"
#include "wg/types.hpp"

namespace edge::engine {

/// The largest datagram (or IP packet) that crosses between the halves: a full-MTU data message
/// for the largest MTU the tunnel accepts (--wg-config MTU up to 1984), or a handshake message.
inline constexpr std::size_t max_tunnel_packet = 2048;

/// Control → workers: a peer's keypairs after a change (all empty: the peer is gone).
struct tunnel_keys_message {
    wg::peer_id peer = wg::no_peer;
    wg::session_set sessions;
};

/// Control → workers: which prefixes route to which peer, and where each peer is (by peer id;
/// empty when unknown), replaced together whenever either changes.
struct tunnel_routes_message {
    std::shared_ptr<const wg::allowed_ips_table> table;
    std::shared_ptr<const std::vector<socket_address>> endpoints;
};

/// Control → a worker: a datagram the handshake half made (initiation, response, cookie,
/// keepalive, a staged packet sealed after its handshake), to send from the tunnel's port.
struct tunnel_datagram_message {
    socket_address to;
    std::uint16_t len = 0;
    std::array<std::uint8_t, max_tunnel_packet> bytes;
};

/// Control → workers: the TUN interface was recreated (deleted from outside); this worker's new
/// queue. The old descriptor stays open (the control thread keeps it) until the worker has
/// cancelled what it had on it.
struct tunnel_queue_message {
    int fd = -1;
};

/// Worker → control.
struct tunnel_event {
    enum class kind : std::uint8_t {
        none,
        handshake,  // a handshake or cookie message (types 1-3) from `from`: for tunnel::receive
        unrouted,   // an IP packet for `peer`, which has no keypair yet: for tunnel::send
        sent,       // a batch sealed for `peer` (tunnel::note_sent)
        received,   // a batch opened on keypair `local_index` of `peer` (tunnel::note_received)
        tun_gone,   // the TUN interface is gone (deleted from outside): recreate it
    };
    kind what = kind::none;
    bool should_rekey = false;
    wg::peer_id peer = wg::no_peer;
    std::uint32_t local_index = 0;
    socket_address from;
    std::uint32_t packets = 0;  // sent/received: done (keepalives included)
    std::uint32_t data = 0;     // of which carried data
    std::uint64_t data_bytes = 0;
    std::uint16_t len = 0;  // handshake / unrouted: the bytes
    std::array<std::uint8_t, max_tunnel_packet> bytes;
};

}  // namespace edge::engine
