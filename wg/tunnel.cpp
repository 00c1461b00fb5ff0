// The tunnel's configuration, its data path on the owning thread, and the reports workers make
// (note_*). Handshakes are in tunnel_handshake.cpp, timers in tunnel_timers.cpp.
#include "wg/tunnel.hpp"

#include <cstring>

namespace edge::wg {

tunnel::tunnel(const tunnel_options& options)
    : options_(options),
      local_(local_identity::from_private(options.private_key)),
      rng_(options.random_seed),
      cookie_checker_(local_.mac1_key, local_.cookie_key),
      load_(options.handshakes_per_second_before_load),
      limiter_(options.rate_limiter_slots,
               (std::uint64_t(rng_.next_u32()) << 32) | rng_.next_u32()) {}

// ---------------------------------------------------------------- configuration

result<peer_id, error> tunnel::add_peer(const peer_config& config) {
    if (config.public_key == local_.public_key || find_peer(config.public_key) != no_peer)
        return unexpected(error::unknown_peer);
    peer_id id = 0;
    while (id < peers_.size() && peers_[id])
        ++id;
    auto p = std::make_unique<peer>(id, local_, config, options_.staged_per_peer, options_.mtu);
    if (!p->identity.static_ok) return unexpected(error::low_order_key);
    if (id == peers_.size())
        peers_.push_back(std::move(p));
    else
        peers_[id] = std::move(p);
    for (const auto& prefix : config.allowed_ips)
        allowed_ips_.insert(prefix, id);
    by_public_key_[config.public_key] = id;
    return id;
}

void tunnel::remove_peer(peer_id id) {
    if (id >= peers_.size() || !peers_[id]) return;
    wipe_peer_keys(*peers_[id]);
    allowed_ips_.remove_peer(id);
    by_public_key_.erase(peers_[id]->identity.public_key);
    peers_[id].reset();
}

peer_id tunnel::find_peer(const key& public_key) const noexcept {
    auto it = by_public_key_.find(public_key);
    return it == by_public_key_.end() ? no_peer : it->second;
}

const peer* tunnel::get_peer(peer_id id) const noexcept {
    return id < peers_.size() ? peers_[id].get() : nullptr;
}

session_set tunnel::sessions_of(peer_id id) const {
    const peer* p = get_peer(id);
    if (p == nullptr) return {};
    return {p->keypairs.current(), p->keypairs.previous(), p->keypairs.next()};
}

std::shared_ptr<const allowed_ips_table> tunnel::routing_table() {
    return allowed_ips_.table();
}

// ---------------------------------------------------------------- indices and keys

std::uint32_t tunnel::new_index(peer_id owner) {
    // Random and unguessable (§5.4.2), never one in use.
    for (;;) {
        const std::uint32_t i = rng_.next_u32();
        if (indices_.try_emplace(i, index_owner{owner}).second) return i;
    }
}

peer* tunnel::by_index(std::uint32_t index) noexcept {
    auto it = indices_.find(index);
    if (it == indices_.end()) return nullptr;
    return peers_[it->second.peer].get();
}

void tunnel::unregister(const session::dropped& gone) {
    for (const auto& kp : gone)
        if (kp) indices_.erase(kp->local_index());
}

void tunnel::install(peer& p, std::shared_ptr<keypair> kp, bool initiated) {
    const time_ns now = kp->created();
    unregister(initiated ? p.keypairs.install_initiated(std::move(kp))
                         : p.keypairs.install_responded(std::move(kp)));
    ++p.epoch;
    ++epoch_;
    ++p.stats.handshakes;
    p.stats.last_handshake = now;
    on_session_started(p, now);
}

void tunnel::wipe_peer_keys(peer& p) {
    unregister(p.keypairs.clear());
    if (p.handshake.at == handshake_state::stage::initiation_sent)
        indices_.erase(p.handshake.local_index);
    p.handshake.clear();
    p.staged.clear();
    p.wants_initiation = false;
    p.handshake_started = no_deadline;
    // Nothing is left to retry, confirm or answer; a persistent keepalive, if set, will start a
    // new handshake when it is due.
    p.timers.retransmit_handshake = no_deadline;
    p.timers.new_handshake = no_deadline;
    p.timers.send_keepalive = no_deadline;
    ++p.epoch;
    ++epoch_;
}

tai64n tunnel::timestamp(time_ns now) const noexcept {
    return make_tai64n(options_.unix_ns_at_start + (now - options_.monotonic_at_start).count());
}

packet_result tunnel::fail(error e, peer_id p) noexcept {
    counters_.add(e);
    return {action::error, {}, {}, p, e};
}

// ---------------------------------------------------------------- data on this thread

packet_result tunnel::seal_to(peer& p, std::span<const std::uint8_t> ip_packet, time_ns now,
                              std::span<std::uint8_t> out) {
    keypair* kp = p.keypairs.current().get();
    if (kp == nullptr) return fail(error::no_session, p.id);
    if (!p.endpoint) return fail(error::no_endpoint, p.id);
    if (out.size() < outbound_headroom + ip_packet.size())
        return fail(error::buffer_too_small, p.id);
    if (!ip_packet.empty())  // a keepalive has no bytes (and maybe no pointer)
        std::memmove(out.data() + outbound_headroom, ip_packet.data(), ip_packet.size());
    outbound_packet op{out, ip_packet.size(), 0, error::none};
    batch_outcome o = encapsulate(*kp, std::span(&op, 1), options_.mtu, now, counters_);
    if (op.err != error::none) return {action::error, {}, {}, p.id, op.err};
    note_sent(p.id, o.done, o.data, o.bytes, o.should_rekey, now);
    return {action::to_network, out.first(op.datagram_len), *p.endpoint, p.id, error::none};
}

static bool can_send_on(const keypair* kp, time_ns now) noexcept {
    return kp != nullptr && kp->is_receive_valid(now) &&
           kp->send_counter() < kp->limits().reject_after_messages;
}

packet_result tunnel::send(std::span<const std::uint8_t> ip_packet, time_ns now,
                           std::span<std::uint8_t> out) {
    if (ip_packet.size() > options_.mtu) return fail(error::too_large);
    const peer_id id = allowed_ips_.current().destination_peer(ip_packet);
    if (id == no_peer) return fail(error::no_route);
    peer& p = *peers_[id];
    if (!p.endpoint) return fail(error::no_endpoint, id);
    if (can_send_on(p.keypairs.current().get(), now)) return seal_to(p, ip_packet, now, out);
    // No usable session: the packet waits for the handshake (§6.2), which starts now unless one
    // is in flight.
    if (!p.staged.push(ip_packet)) counters_.add(error::staged_dropped);
    if (p.handshake.at == handshake_state::stage::initiation_sent)
        return {action::none, {}, {}, id};
    return send_initiation(p, now, out);
}

packet_result tunnel::receive(std::span<std::uint8_t> datagram, const socket_address& from,
                              time_ns now, std::span<std::uint8_t> out) {
    auto type = classify(datagram);
    if (!type) return fail(type.error());
    switch (*type) {
        case message_type::initiation:
            return receive_initiation(datagram, from, now, out);
        case message_type::response:
            return receive_response(datagram, from, now, out);
        case message_type::cookie_reply:
            return receive_cookie_reply(datagram, now);
        case message_type::data:
            return receive_data(datagram, from, now);
    }
    return fail(error::bad_type);
}

packet_result tunnel::receive_data(std::span<std::uint8_t> d, const socket_address& from,
                                   time_ns now) {
    const std::uint32_t index = receiver_index(d);
    peer* p = by_index(index);
    keypair* kp = p != nullptr ? p->keypairs.find(index) : nullptr;
    if (kp == nullptr) return fail(error::unknown_index);
    inbound_packet in{d, {}, 0, error::none};
    batch_outcome o = decapsulate(*kp, std::span(&in, 1), &allowed_ips_.current(), now, counters_);
    note_received(p->id, index, from, o.done, o.data, o.bytes, o.should_rekey, now);
    if (in.err != error::none) return {action::error, {}, {}, p->id, in.err};
    if (in.plain.empty()) return {action::none, {}, {}, p->id};  // a keepalive
    return {action::to_tun, in.plain, {}, p->id, error::none};
}

std::size_t tunnel::pending() const noexcept {
    std::size_t n = 0;
    for (const auto& p : peers_)
        if (p && p->staged.size() > 0 && p->endpoint && p->keypairs.current())
            n += p->staged.size();
    return n;
}

packet_result tunnel::drain(time_ns now, std::span<std::uint8_t> out) {
    for (auto& p : peers_) {
        if (!p || p->staged.size() == 0 || !p->endpoint ||
            !can_send_on(p->keypairs.current().get(), now))
            continue;
        packet_result r = seal_to(*p, p->staged.front(), now, out);
        p->staged.pop();
        return r;
    }
    return {};
}

// ---------------------------------------------------------------- what workers report

void tunnel::note_sent(peer_id id, std::size_t sent, std::size_t data, std::size_t bytes,
                       bool should_rekey, time_ns now) {
    peer* p = id < peers_.size() ? peers_[id].get() : nullptr;
    if (p == nullptr || sent == 0) return;
    p->stats.tx_bytes += bytes;
    on_packet_sent(*p, now);
    if (data > 0) on_data_sent(*p, now);
    on_traversal(*p, now);
    if (should_rekey && p->handshake.at != handshake_state::stage::initiation_sent)
        p->wants_initiation = true;
}

void tunnel::note_received(peer_id id, std::uint32_t local_index, const socket_address& from,
                           std::size_t authenticated, std::size_t data, std::size_t bytes,
                           bool should_rekey, time_ns now) {
    peer* p = id < peers_.size() ? peers_[id].get() : nullptr;
    if (p == nullptr || authenticated == 0) return;
    p->endpoint = from;  // roaming (§2): the latest authenticated source
    p->stats.rx_bytes += bytes;
    if (const keypair* kp = p->keypairs.find(local_index); kp != nullptr) {
        if (kp == p->keypairs.next().get()) {
            unregister(p->keypairs.confirm(*kp));
            ++p->epoch;
            ++epoch_;
        }
    }
    on_authenticated_received(*p, now);
    if (data > 0) on_data_received(*p, now);
    on_traversal(*p, now);
    if (should_rekey && p->handshake.at != handshake_state::stage::initiation_sent)
        p->wants_initiation = true;
}

}  // namespace edge::wg
