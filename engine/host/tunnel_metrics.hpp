#pragma once
// The WireGuard data path's counters, one block per worker, written only by that worker and
// summed by the control thread on scrape (relaxed atomics, one writer: see metrics.hpp).

#include <array>
#include <cstdint>

#include "base/result.hpp"
#include "engine/host/metrics.hpp"
#include "engine/uring/mmap_array.hpp"
#include "wg/errors.hpp"

namespace edge::engine {

/// Why a packet was dropped on the data path (label `reason`).
enum class tunnel_drop : std::uint8_t {
    no_route,       // no peer's allowed IPs cover the destination
    no_session,     // no keypair yet and the control thread's queue was full
    no_endpoint,    // the peer's address is not known yet
    no_buffer,      // no room to seal (the worker's send slots were all in flight)
    bad_packet,     // a TUN packet whose headers do not parse (segmentation refused it)
    unknown_index,  // a data message for a keypair this worker does not hold
    not_wireguard,  // a datagram of no WireGuard type
    tun_write,      // the TUN device refused a packet
    udp_send,       // the UDP send failed
    events_full,    // the control thread's channel was full
    count_,
};
inline constexpr std::array<const char*, std::size_t(tunnel_drop::count_)> tunnel_drop_names = {
    "no_route",      "no_session",    "no_endpoint", "no_buffer", "bad_packet",
    "unknown_index", "not_wireguard", "tun_write",   "udp_send",  "events_full"};

/// Per peer, per worker: what crossed the tunnel.
struct tunnel_peer_counters {
    counter tx_packets;
    counter tx_bytes;  // plaintext bytes sealed
    counter rx_packets;
    counter rx_bytes;  // plaintext bytes delivered
    counter decrypt_failures;
    counter replays;
    counter no_session;  // packets handed to the control thread for want of a session
};

struct tunnel_metrics {
    counter tun_reads;   // packets (or super-packets) read from the TUN device
    counter tun_writes;  // packets written to it
    counter udp_datagrams_in;
    counter udp_datagrams_out;
    counter gso_segments;  // packets cut from TUN super-packets
    counter gro_batches;   // UDP reads that carried several datagrams
    counter gro_runs;      // TCP segment runs written to the TUN device as one packet
    std::array<counter, std::size_t(tunnel_drop::count_)> drops;
    wg::counters rejections;  // the protocol's own reasons (decrypt, replay, expired keys…)

    static constexpr std::uint32_t max_peers = 65536;
    mmap_array<tunnel_peer_counters> peers;  // by peer id; zero pages until used

    result<void> map_peers() noexcept {
        auto a = mmap_array<tunnel_peer_counters>::create(max_peers);
        if (!a) return unexpected(a.error());
        peers = std::move(*a);
        return {};
    }
};

}  // namespace edge::engine
