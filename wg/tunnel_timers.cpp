// The tunnel's timers (whitepaper §6): events move each peer's deadlines, tick() acts on those
// that are due. The event rules follow wireguard-go's timers.go, which implements §6.2-§6.5.
#include <algorithm>

#include "wg/tunnel.hpp"

namespace edge::wg {

// ---------------------------------------------------------------- events

void tunnel::on_packet_sent(peer& p, time_ns) noexcept {
    // Anything authenticated we send serves as the keepalive we owed (§6.5).
    p.timers.send_keepalive = no_deadline;
}

void tunnel::on_data_sent(peer& p, time_ns now) noexcept {
    // §6.5: data sent and nothing heard for Keepalive-Timeout + Rekey-Timeout: new handshake.
    if (p.timers.new_handshake == no_deadline) {
        const auto jitter =
            time_ns(rng_.below(std::uint64_t(options_.limits.rekey_timeout_jitter.count()) + 1));
        p.timers.new_handshake =
            now + options_.limits.keepalive_timeout + options_.limits.rekey_timeout + jitter;
    }
}

void tunnel::on_authenticated_received(peer& p, time_ns) noexcept {
    p.timers.new_handshake = no_deadline;
}

void tunnel::on_data_received(peer& p, time_ns now) noexcept {
    // §6.5: data received and nothing sent for Keepalive-Timeout: send a keepalive.
    if (p.timers.send_keepalive == no_deadline)
        p.timers.send_keepalive = now + options_.limits.keepalive_timeout;
    else
        p.need_another_keepalive = true;
}

void tunnel::on_session_started(peer& p, time_ns now) noexcept {
    // §6.3: with no new handshake for three Reject-After-Times, every key goes.
    p.timers.zero_keys = now + options_.limits.zero_keys_after();
}

void tunnel::on_traversal(peer& p, time_ns now) noexcept {
    if (p.persistent_keepalive_s > 0)
        p.timers.persistent_keepalive = now + std::chrono::seconds(p.persistent_keepalive_s);
}

// ---------------------------------------------------------------- deadlines

time_ns tunnel::next_deadline(time_ns now) const noexcept {
    time_ns t = no_deadline;
    for (const auto& p : peers_) {
        if (!p) continue;
        t = std::min({t, p->timers.earliest(), p->keypairs.next_expiry()});
        if (p->wants_initiation) {
            const time_ns allowed = p->last_initiation_sent == no_deadline
                                        ? now
                                        : p->last_initiation_sent + options_.limits.rekey_timeout;
            t = std::min(t, std::max(now, allowed));
        }
    }
    return t;
}

packet_result tunnel::tick(time_ns now, std::span<std::uint8_t> out) {
    for (auto& p : peers_) {
        if (!p) continue;
        packet_result r = tick_peer(*p, now, out);
        if (r.what != action::none) return r;
    }
    return {};
}

packet_result tunnel::tick_peer(peer& p, time_ns now, std::span<std::uint8_t> out) {
    auto due = [now](time_ns& deadline) {
        if (deadline > now) return false;
        deadline = no_deadline;
        return true;
    };
    const protocol_limits& lim = options_.limits;

    // Keys past Reject-After-Time are never used again: drop (and so wipe) them now.
    if (p.keypairs.next_expiry() <= now) {
        unregister(p.keypairs.expire(now));
        ++p.epoch;
        ++epoch_;
    }
    if (due(p.timers.zero_keys)) wipe_peer_keys(p);

    if (due(p.timers.retransmit_handshake)) {
        if (p.handshake_started == no_deadline ||
            now - p.handshake_started >= lim.rekey_attempt_time) {
            // §6.4: Rekey-Attempt-Time is up: give up, drop what waited, and wipe everything
            // three Reject-After-Times from now unless a handshake succeeds before.
            if (p.handshake.at == handshake_state::stage::initiation_sent)
                indices_.erase(p.handshake.local_index);
            p.handshake.clear();
            p.handshake_started = no_deadline;
            p.wants_initiation = false;
            p.staged.clear();
            if (p.timers.zero_keys == no_deadline) p.timers.zero_keys = now + lim.zero_keys_after();
        } else {
            p.is_retry = true;
            return send_initiation(p, now, out);
        }
    }
    if (p.wants_initiation && (p.last_initiation_sent == no_deadline ||
                               now - p.last_initiation_sent >= lim.rekey_timeout)) {
        if (p.handshake.at != handshake_state::stage::initiation_sent)
            return send_initiation(p, now, out);
        p.wants_initiation = false;  // one is in flight already
    }
    if (due(p.timers.new_handshake) && p.handshake.at != handshake_state::stage::initiation_sent)
        return send_initiation(p, now, out);
    if (due(p.timers.send_keepalive)) {
        if (p.need_another_keepalive) {
            p.need_another_keepalive = false;
            p.timers.send_keepalive = now + lim.keepalive_timeout;
        }
        if (p.keypairs.current()) return seal_to(p, {}, now, out);
    }
    if (due(p.timers.persistent_keepalive) && p.keypairs.current()) return seal_to(p, {}, now, out);
    return {};
}

}  // namespace edge::wg
