#pragma once
// The sans-I/O WireGuard tunnel: one local identity, its peers, the receiver-index table, the
// cookie checker and the allowed-IPs set — what a WireGuard interface is, minus its sockets and
// its TUN device. Bytes and `now` go in; datagrams to send, IP packets to deliver and the next
// deadline come out (style lesson 6). The caller owns every buffer; results are spans into them.
//
// Threading. A tunnel belongs to one thread, the control (handshake) thread: every member
// function below is for that thread only. It can carry the data path itself (send / receive /
// drain, as the tests and the interop test do), or hand the data path to workers:
//   * workers get keypairs through sessions_of() (republished when epoch() moves; each worker
//     keeps them in a keypair_index) and the allowed-IPs table through routing_table(), and call
//     encapsulate()/decapsulate() of transport.hpp on them concurrently;
//   * workers pass handshake and cookie datagrams (message types 1-3) to this thread's receive();
//   * workers report each batch back through note_sent() / note_received() so that the timers,
//     key confirmation and roaming see what the data path did.
// Nothing here allocates per packet: allocations happen per peer, per handshake (a keypair) and
// on configuration changes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "wg/allowed_ips.hpp"
#include "wg/cookie.hpp"
#include "wg/errors.hpp"
#include "wg/handshake.hpp"
#include "wg/peer.hpp"
#include "wg/random.hpp"
#include "wg/rate_limiter.hpp"
#include "wg/timers.hpp"
#include "wg/transport.hpp"
#include "wg/types.hpp"

namespace edge::wg {

struct tunnel_options {
    key private_key{};
    /// 32 bytes from the OS's CSPRNG (fixed bytes in tests): ephemerals, indices, cookies, jitter.
    key random_seed{};
    /// The caller's wall clock (ns since the Unix epoch) at the moment its monotonic clock read
    /// `monotonic_at_start`: TAI64N timestamps are the wall clock advanced by the monotonic one,
    /// so they only ever grow within a run (whitepaper §5.1 needs them to).
    std::int64_t unix_ns_at_start = 0;
    time_ns monotonic_at_start{0};
    std::size_t mtu = 1420;
    protocol_limits limits{};
    /// Packets kept per peer while a handshake is pending (wireguard-go keeps 128).
    std::size_t staged_per_peer = 128;
    /// Handshake messages per second past which the tunnel is "under load" (cookies required).
    std::uint32_t handshakes_per_second_before_load = 1000;
    std::size_t rate_limiter_slots = 4096;
};

enum class action : std::uint8_t {
    none,        ///< nothing to do (a keepalive arrived, a packet was queued, a timer did its work)
    to_network,  ///< send `packet` as one UDP datagram to `endpoint`
    to_tun,      ///< deliver `packet` (an IP packet) to the TUN device
    error,       ///< rejected for `err` (already counted)
};

/// One call's result. `packet` lies in the caller's buffer (the output buffer, or the received
/// datagram for to_tun, decrypted in place).
struct packet_result {
    action what = action::none;
    std::span<std::uint8_t> packet{};
    socket_address endpoint{};
    peer_id peer = no_peer;
    error err = error::none;
};

class tunnel {
  public:
    explicit tunnel(const tunnel_options& options);
    tunnel(const tunnel&) = delete;
    tunnel& operator=(const tunnel&) = delete;

    // ---- configuration (control thread) ----

    /// Adds a peer and its allowed IPs (taken from other peers that had them). Fails with
    /// unknown_peer if the key is ours or already a peer's, low_order_key if it is a low-order
    /// point. Control thread.
    result<peer_id, error> add_peer(const peer_config& config);
    /// Removes a peer: its keys are wiped as references go, its indices freed. Control thread.
    void remove_peer(peer_id id);
    /// The peer with this public key, or no_peer. Control thread.
    peer_id find_peer(const key& public_key) const noexcept;
    /// A peer's state (null if none); for inspection, `wg show` and tests. Control thread.
    const peer* get_peer(peer_id id) const noexcept;
    /// Our identity, the protocol limits and the MTU in force. Control thread.
    const local_identity& identity() const noexcept { return local_; }
    const protocol_limits& limits() const noexcept { return options_.limits; }
    std::size_t mtu() const noexcept { return options_.mtu; }

    // ---- the data path on this thread ----

    /// Encapsulates one outbound IP packet for the peer its destination routes to. Writes the
    /// datagram (or an initiation, when the packet had to wait for a handshake) into out.
    /// Control thread (or the single thread of a single-threaded user).
    packet_result send(std::span<const std::uint8_t> ip_packet, time_ns now,
                       std::span<std::uint8_t> out);
    /// Takes any received datagram. Data is decrypted in place and returned as to_tun; a
    /// handshake message may produce a datagram to send (in out). Control thread.
    packet_result receive(std::span<std::uint8_t> datagram, const socket_address& from, time_ns now,
                          std::span<std::uint8_t> out);
    /// Packets staged during a handshake that can be sent now. Control thread.
    std::size_t pending() const noexcept;
    /// Encapsulates the next of them into out (to_network), or none. Control thread.
    packet_result drain(time_ns now, std::span<std::uint8_t> out);
    /// Runs due timers: retransmissions, keepalives, rekeys, expiry. Returns one datagram at a
    /// time (call again until none). Control thread.
    packet_result tick(time_ns now, std::span<std::uint8_t> out);
    /// When tick() next has work (no_deadline if never). Control thread.
    time_ns next_deadline(time_ns now) const noexcept;
    /// Starts a handshake with a peer now (an operator's "connect"), unless one is in flight.
    /// Control thread.
    packet_result initiate(peer_id id, time_ns now, std::span<std::uint8_t> out);

    // ---- the data path on workers (issue 13) ----

    /// Bumped whenever any peer's keypairs change. Control thread.
    std::uint64_t epoch() const noexcept { return epoch_; }
    /// A peer's keypairs, for handing to workers. Control thread.
    session_set sessions_of(peer_id id) const;
    /// The allowed-IPs table for workers (a new one after every change; republish when it differs).
    /// Control thread.
    std::shared_ptr<const wg::allowed_ips_table> routing_table();
    /// A worker encapsulated `sent` packets (keepalives included) of which `data` carried data,
    /// for peer on one of its keypairs; `should_rekey` from the batch outcome. Control thread.
    void note_sent(peer_id id, std::size_t sent, std::size_t data, std::size_t bytes,
                   bool should_rekey, time_ns now);
    /// A worker decapsulated packets for the keypair with `local_index` (confirmation), from
    /// `from` (roaming: the latest authenticated source becomes the endpoint). Control thread.
    void note_received(peer_id id, std::uint32_t local_index, const socket_address& from,
                       std::size_t authenticated, std::size_t data, std::size_t bytes,
                       bool should_rekey, time_ns now);

    // ---- state ----

    /// Rejections by reason (this thread's). Control thread; read from any thread.
    const counters& rejections() const noexcept { return counters_; }
    counters& rejections() noexcept { return counters_; }
    /// Whether the tunnel is under load now (cookies required). Control thread.
    bool is_under_load(time_ns now) const noexcept { return load_.is_under_load(now); }

  private:
    struct index_owner {
        peer_id peer = no_peer;
    };
    // Public keys are uniformly random: their first 8 bytes are a good hash.
    struct key_hash {
        std::size_t operator()(const key& k) const noexcept {
            std::size_t h = 0;
            for (int i = 0; i < 8; ++i)
                h = h << 8 | k[std::size_t(i)];
            return h;
        }
    };

    packet_result fail(error e, peer_id p = no_peer) noexcept;
    packet_result receive_initiation(std::span<std::uint8_t> d, const socket_address& from,
                                     time_ns now, std::span<std::uint8_t> out);
    packet_result receive_response(std::span<std::uint8_t> d, const socket_address& from,
                                   time_ns now, std::span<std::uint8_t> out);
    packet_result receive_cookie_reply(std::span<std::uint8_t> d, time_ns now);
    packet_result receive_data(std::span<std::uint8_t> d, const socket_address& from, time_ns now);
    /// The mac1 / load / mac2 / rate-limit gate in front of every handshake message.
    std::optional<packet_result> screen_handshake(std::span<const std::uint8_t> d,
                                                  std::uint32_t sender, const socket_address& from,
                                                  time_ns now, std::span<std::uint8_t> out);
    packet_result send_initiation(peer& p, time_ns now, std::span<std::uint8_t> out);
    packet_result seal_to(peer& p, std::span<const std::uint8_t> ip_packet, time_ns now,
                          std::span<std::uint8_t> out);
    packet_result tick_peer(peer& p, time_ns now, std::span<std::uint8_t> out);
    void install(peer& p, std::shared_ptr<keypair> kp, bool initiated);
    void unregister(const session::dropped& gone);
    void wipe_peer_keys(peer& p);
    std::uint32_t new_index(peer_id owner);
    peer* by_index(std::uint32_t index) noexcept;
    tai64n timestamp(time_ns now) const noexcept;

    // Timer events (whitepaper §6, as wireguard-go's timers.go orders them).
    void on_packet_sent(peer& p, time_ns now) noexcept;
    void on_data_sent(peer& p, time_ns now) noexcept;
    void on_authenticated_received(peer& p, time_ns now) noexcept;
    void on_data_received(peer& p, time_ns now) noexcept;
    void on_session_started(peer& p, time_ns now) noexcept;
    void on_traversal(peer& p, time_ns now) noexcept;

    tunnel_options options_;
    local_identity local_;
    random_source rng_;
    cookie_checker cookie_checker_;
    load_meter load_;
    rate_limiter limiter_;
    std::vector<std::unique_ptr<peer>> peers_;  // by peer_id; null slots are free ids
    std::unordered_map<std::uint32_t, index_owner> indices_;
    std::unordered_map<key, peer_id, key_hash> by_public_key_;  // responders find peers here
    wg::allowed_ips allowed_ips_;
    counters counters_;
    std::uint64_t epoch_ = 0;
};

}  // namespace edge::wg
