// The tunnel's handshakes (whitepaper §5): the gate every handshake message passes first (mac1,
// then load, mac2 and the per-source limit — all before any DH), initiations sent and answered,
// responses and cookie replies taken.
#include <cstring>

#include "wg/crypto/secret.hpp"
#include "wg/tunnel.hpp"

namespace edge::wg {

std::optional<packet_result> tunnel::screen_handshake(std::span<const std::uint8_t> d,
                                                      std::uint32_t sender,
                                                      const socket_address& from, time_ns now,
                                                      std::span<std::uint8_t> out) {
    if (!cookie_checker_.is_mac1_valid(d)) return fail(error::bad_mac1);
    load_.count(now);
    if (!load_.is_under_load(now)) return std::nullopt;
    if (!cookie_checker_.is_mac2_valid(d, from, now, rng_)) {
        // §5.3: answer with a cookie the sender can only use from the address it claims.
        if (out.size() < cookie_reply_size) return fail(error::buffer_too_small);
        format(cookie_checker_.make_reply(d, sender, from, now, rng_),
               out.first<cookie_reply_size>());
        counters_.add(error::cookie_required);
        return packet_result{action::to_network, out.first(cookie_reply_size), from, no_peer,
                             error::cookie_required};
    }
    if (!limiter_.allow(from, now)) return fail(error::rate_limited);
    return std::nullopt;
}

packet_result tunnel::send_initiation(peer& p, time_ns now, std::span<std::uint8_t> out) {
    p.wants_initiation = false;
    if (!p.endpoint) return fail(error::no_endpoint, p.id);
    if (out.size() < initiation_size) return fail(error::buffer_too_small, p.id);
    const bool retry = p.is_retry;
    p.is_retry = false;
    if (!retry || p.handshake_started == no_deadline) p.handshake_started = now;
    // A new initiation replaces the one in flight, and its index.
    if (p.handshake.at == handshake_state::stage::initiation_sent)
        indices_.erase(p.handshake.local_index);
    key ephemeral{};
    rng_.fill(ephemeral);
    const std::uint32_t index = new_index(p.id);
    initiation_message msg;
    auto made =
        create_initiation(p.handshake, local_, p.identity, ephemeral, timestamp(now), index, msg);
    crypto::secure_wipe(std::span(ephemeral));
    if (!made) {
        indices_.erase(index);
        return fail(made.error(), p.id);
    }
    auto bytes = out.first<initiation_size>();
    format(msg, bytes);
    p.cookies.stamp(bytes, now);
    p.last_initiation_sent = now;
    ++p.stats.initiations_sent;
    // §6.4: unanswered after Rekey-Timeout plus jitter, the initiation is sent again.
    const auto jitter =
        time_ns(rng_.below(std::uint64_t(options_.limits.rekey_timeout_jitter.count()) + 1));
    p.timers.retransmit_handshake = now + options_.limits.rekey_timeout + jitter;
    on_packet_sent(p, now);
    on_traversal(p, now);
    return {action::to_network, out.first(initiation_size), *p.endpoint, p.id, error::none};
}

packet_result tunnel::initiate(peer_id id, time_ns now, std::span<std::uint8_t> out) {
    peer* p = id < peers_.size() ? peers_[id].get() : nullptr;
    if (p == nullptr) return fail(error::unknown_peer);
    if (p->handshake.at == handshake_state::stage::initiation_sent) return {};
    return send_initiation(*p, now, out);
}

packet_result tunnel::receive_initiation(std::span<std::uint8_t> d, const socket_address& from,
                                         time_ns now, std::span<std::uint8_t> out) {
    auto msg = parse_initiation(d);
    if (!msg) return fail(msg.error());
    if (auto screened = screen_handshake(d, msg->sender, from, now, out)) return *screened;

    // A state of its own: our own initiation to this peer, if one is in flight, stays valid
    // (both sides initiating at once then both complete).
    handshake_state state;
    auto initiator = consume_initiation_static(state, local_, *msg);
    if (!initiator) return fail(initiator.error());
    const peer_id id = find_peer(*initiator);
    if (id == no_peer) return fail(error::unknown_peer);
    peer& p = *peers_[id];
    auto ts = consume_initiation_timestamp(state, p.identity, *msg);
    if (!ts) return fail(ts.error(), id);
    // §5.1: a replayed initiation carries a timestamp we have seen; a flood, too many per second.
    if (!is_later(*ts, p.last_timestamp)) return fail(error::stale_timestamp, id);
    if (p.last_initiation_consumed != no_deadline &&
        now - p.last_initiation_consumed < min_initiation_interval)
        return fail(error::initiation_flood, id);
    if (out.size() < response_size) return fail(error::buffer_too_small, id);

    key ephemeral{};
    rng_.fill(ephemeral);
    const std::uint32_t index = new_index(id);
    response_message resp;
    transport_keys keys;
    auto made = create_response(state, p.identity, ephemeral, index, resp, keys);
    crypto::secure_wipe(std::span(ephemeral));
    if (!made) {
        indices_.erase(index);
        return fail(made.error(), id);
    }
    p.last_timestamp = *ts;
    p.last_initiation_consumed = now;
    p.endpoint = from;
    install(p, std::make_shared<keypair>(keys, id, now, options_.limits), false);

    auto bytes = out.first<response_size>();
    format(resp, bytes);
    p.cookies.stamp(bytes, now);
    on_authenticated_received(p, now);
    on_packet_sent(p, now);
    on_traversal(p, now);
    return {action::to_network, out.first(response_size), from, id, error::none};
}

packet_result tunnel::receive_response(std::span<std::uint8_t> d, const socket_address& from,
                                       time_ns now, std::span<std::uint8_t> out) {
    auto msg = parse_response(d);
    if (!msg) return fail(msg.error());
    if (auto screened = screen_handshake(d, msg->sender, from, now, out)) return *screened;
    peer* p = by_index(msg->receiver);
    if (p == nullptr || p->handshake.at != handshake_state::stage::initiation_sent ||
        p->handshake.local_index != msg->receiver)
        return fail(error::unexpected_response);
    transport_keys keys;
    if (auto done = consume_response(p->handshake, local_, p->identity, *msg, keys); !done)
        return fail(done.error(), p->id);

    install(*p, std::make_shared<keypair>(keys, p->id, now, options_.limits), true);
    // §6.4: the handshake is complete; no more retransmissions.
    p->timers.retransmit_handshake = no_deadline;
    p->handshake_started = no_deadline;
    p->endpoint = from;
    on_authenticated_received(*p, now);
    on_traversal(*p, now);
    // Staged packets go now (pending()/drain()); with none, a keepalive confirms the keypair to
    // the responder, which may not send on it before it hears from us (§5.4.6).
    if (p->staged.size() > 0) return {action::none, {}, {}, p->id};
    return seal_to(*p, {}, now, out);
}

packet_result tunnel::receive_cookie_reply(std::span<std::uint8_t> d, time_ns now) {
    auto msg = parse_cookie_reply(d);
    if (!msg) return fail(msg.error());
    peer* p = by_index(msg->receiver);
    if (p == nullptr) return fail(error::unexpected_response);
    if (auto took = p->cookies.consume_reply(*msg, now); !took) return fail(took.error(), p->id);
    return {action::none, {}, {}, p->id};
}

}  // namespace edge::wg
