#pragma once
// The WireGuard tunnel's control half, on the control thread: it owns the sans-I/O tunnel
// (wg/tunnel.hpp: peers, handshakes, cookies, timers), takes the workers' events (handshake
// messages, packets waiting for a session, per-peer activity), sends what the tunnel produces
// through a worker's UDP socket, and publishes to every worker what its data path needs: each
// peer's keypairs after a change, the allowed-IPs table and the peers' endpoints. It also keeps
// the kernel's routes for every peer's allowed IPs in step with the peers (rtnetlink), and adds
// and removes the peers of routing.db's optional wg_peers table on reloads.
//
// Control thread only. It never blocks: a handshake costs tens of microseconds of curve
// arithmetic; netlink requests are answered by the kernel at once.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_prefix.hpp"
#include "engine/control/reactor.hpp"
#include "engine/host/event_channel.hpp"
#include "engine/host/tunnel_messages.hpp"
#include "engine/host/tunnel_metrics.hpp"
#include "engine/host/worker_message.hpp"
#include "engine/netdev/rtnetlink.hpp"
#include "engine/netdev/tun_device.hpp"
#include "routing/types.hpp"
#include "wg/config.hpp"
#include "wg/tunnel.hpp"

namespace edge::engine {

class tunnel_control {
  public:
    struct setup {
        std::unique_ptr<wg::tunnel> tunnel;
        /// Peers of the wg-quick file (always kept; a routing.db row with the same key is
        /// ignored with a warning).
        std::vector<wg::peer_config> file_peers;
        std::vector<event_channel<tunnel_event>*> channels;  // one per worker
        std::vector<const tunnel_metrics*> metrics;          // one per worker
        /// Sends a message to worker `i` (the control thread's outbox, in order).
        std::function<void(unsigned, worker_message)> send_to;
        std::string interface;
        unsigned ifindex = 0;
        std::uint16_t listen_port = 0;
        /// The TUN interface (its queues are the workers'), and how it is configured: kept so
        /// that it can be recreated when something deletes it.
        std::optional<tun_device> tun;
        std::vector<wg::interface_address> addresses;
        std::size_t mtu = 1420;
    };

    explicit tunnel_control(setup s);
    ~tunnel_control();
    tunnel_control(const tunnel_control&) = delete;
    tunnel_control& operator=(const tunnel_control&) = delete;

    /// Adds the file's peers, installs their routes, publishes the first tables, and watches the
    /// workers' channels. Control thread, once the workers run.
    void attach(reactor& r);
    /// The peers of routing.db's wg_peers table in force now (added, changed, removed).
    void on_routing(const routing::snapshot& snap);

    /// Prometheus series of the tunnel (per peer and by reason). Control thread.
    void render_metrics(std::string& out) const;
    /// What `wg show` prints, as JSON (interface, peers, endpoints, handshakes, transfer).
    void render_status(std::string& out) const;

  private:
    struct peer_entry {
        wg::peer_id id = wg::no_peer;
        wg::peer_config config;
        bool from_file = false;
    };

    wg::time_ns now() const noexcept;
    void on_wake(unsigned worker) noexcept;
    void handle(tunnel_event& e, wg::time_ns t) noexcept;
    /// After anything changed: staged packets sealed, due timers run, tables published, the
    /// next timer set.
    void pump() noexcept;
    void send(const wg::packet_result& r) noexcept;
    void publish_keys() noexcept;
    void publish_routes() noexcept;
    void schedule_tick() noexcept;
    void add_peer(const wg::peer_config& p, bool from_file) noexcept;
    void remove_peer(const wg::key& public_key) noexcept;
    void sync_routes() noexcept;
    /// The interface was deleted from outside: a new one, configured as before, and a queue for
    /// every worker. Retried every second until it works.
    void recreate_interface() noexcept;

    setup s_;
    reactor* reactor_ = nullptr;
    std::optional<rtnetlink> netlink_;
    std::map<wg::key, peer_entry> peers_;          // by public key
    std::map<ip_prefix, wg::peer_id> routes_;      // installed in the kernel
    std::vector<wg::session_set> published_keys_;  // by peer id
    std::uint64_t published_epoch_ = ~std::uint64_t{0};
    std::shared_ptr<const wg::allowed_ips_table> published_table_;
    std::vector<socket_address> published_endpoints_;
    reactor::timer_id tick_timer_ = 0;
    std::uint64_t tick_at_ms_ = 0;
    unsigned next_sender_ = 0;
    std::array<std::uint8_t, max_tunnel_packet> out_{};
    std::uint64_t routing_peer_warnings_ = 0;
    bool recreating_ = false;
    // Devices replaced by a recreation, kept open: a worker may still cancel reads on their
    // queues (it learns of the new one through its inbox).
    std::vector<tun_device> retired_devices_;
};

}  // namespace edge::engine
