#pragma once
// The start-up step of the WireGuard tunnel (--wg-config): read the wg-quick file, create the TUN
// interface (one queue per worker, offloads on), give it its addresses and MTU and bring it up
// through rtnetlink, open one UDP socket per worker on the listen port, and build the sans-I/O
// tunnel with the file's peers. Routes for the peers' allowed IPs are the control thread's
// (engine/control/tunnel_control), since wg_peers rows come and go. Main thread, at start-up; a
// failure is a clear message (tier 2), naming the file's line or the missing capability.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "engine/host/config.hpp"
#include "engine/host/event_channel.hpp"
#include "engine/host/tunnel_messages.hpp"
#include "engine/host/tunnel_metrics.hpp"
#include "engine/netdev/tun_device.hpp"
#include "wg/config.hpp"
#include "wg/peer.hpp"
#include "wg/tunnel.hpp"

namespace edge::engine {

struct tunnel_start {
    std::optional<tun_device> tun;
    std::vector<unique_fd> udp;  // one per worker, all on `port`
    std::unique_ptr<wg::tunnel> tunnel;
    std::vector<wg::peer_config> peers;  // the file's
    std::vector<wg::interface_address> addresses;
    std::size_t mtu = 1420;
    unsigned ifindex = 0;
    std::uint16_t port = 0;
    std::vector<std::unique_ptr<event_channel<tunnel_event>>> channels;  // one per worker
    std::vector<std::unique_ptr<tunnel_metrics>> metrics;                // one per worker
};

/// Reads and checks --wg-config only (for --check): the file's errors name their line.
result<void, std::string> check_tunnel_config(const config& cfg);

/// Everything above, for `workers` workers.
result<tunnel_start, std::string> open_tunnel(const config& cfg, unsigned workers);

}  // namespace edge::engine
