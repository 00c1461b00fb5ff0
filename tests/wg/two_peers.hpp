#pragma once
// Two wg::tunnel instances joined by a simulated network and a simulated clock, as boringtun's
// tests pair two peers in memory: whatever one side emits for the network is queued and handed
// to the other's receive(); IP packets each side delivers are kept per side. Nothing is mocked
// but the wire and the clock.

#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <vector>

#include "wg/tunnel.hpp"

namespace edge::wg::test {

using bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

/// A key from one repeated byte, clamped as wg genkey would (any 32 bytes work for X25519).
inline key fixed_key(std::uint8_t fill) {
    key k{};
    k.fill(fill);
    k[0] &= 248;
    k[31] = std::uint8_t((k[31] & 127) | 64);
    return k;
}

inline key seed_of(std::uint8_t fill) {
    key k{};
    k.fill(fill);
    return k;
}

inline socket_address address(const char* text) {
    return *parse_socket_address(text);
}

/// An IPv4 packet (UDP, checksums left zero: nothing here checks them) from src to dst carrying
/// `payload` bytes of a pattern that depends on `seq`.
inline bytes ipv4_packet(std::uint32_t src, std::uint32_t dst, std::size_t payload,
                         std::uint32_t seq = 0) {
    bytes p(28 + payload);
    p[0] = 0x45;
    p[2] = std::uint8_t(p.size() >> 8);
    p[3] = std::uint8_t(p.size());
    p[8] = 64;
    p[9] = 17;
    for (int i = 0; i < 4; ++i) {
        p[12 + i] = std::uint8_t(src >> (24 - 8 * i));
        p[16 + i] = std::uint8_t(dst >> (24 - 8 * i));
    }
    for (std::size_t i = 0; i < payload; ++i)
        p[28 + i] = std::uint8_t(i * 31 + seq);
    return p;
}

constexpr std::uint32_t ip_a = 0x0a090001;  // 10.9.0.1
constexpr std::uint32_t ip_b = 0x0a090002;  // 10.9.0.2

struct datagram {
    int to;  // 0: a, 1: b
    bytes data;
    socket_address from;
};

/// What a test may vary about the pair.
struct pair_options {
    protocol_limits limits{};
    std::optional<key> psk_a, psk_b;    ///< each side's idea of the preshared key
    std::uint32_t load_after_b = 1000;  ///< B's handshakes per second before "under load"
    std::uint16_t persistent_keepalive_a = 0;
};

class two_peers {
  public:
    explicit two_peers(const pair_options& opt = {}) {
        for (int i = 0; i < 2; ++i) {
            tunnel_options o;
            o.private_key = fixed_key(std::uint8_t(0x11 * (i + 1)));
            o.random_seed = seed_of(std::uint8_t(0x5a + i));
            o.unix_ns_at_start = 1'700'000'000'000'000'000 + i * 12345;
            o.limits = opt.limits;
            o.handshakes_per_second_before_load = i == 1 ? opt.load_after_b : 1000;
            side[i] = std::make_unique<tunnel>(o);
        }
        addr[0] = address("192.0.2.1:51820");
        addr[1] = address("192.0.2.2:51821");
        for (int i = 0; i < 2; ++i) {
            const int o = 1 - i;
            peer_config c;
            c.public_key = side[o]->identity().public_key;
            c.preshared_key = i == 0 ? opt.psk_a : opt.psk_b;
            c.persistent_keepalive_s = i == 0 ? opt.persistent_keepalive_a : 0;
            c.endpoint = addr[o];
            c.allowed_ips.push_back(*ip_prefix::parse(o == 0 ? "10.9.0.1/32" : "10.9.0.2/32"));
            auto id = side[i]->add_peer(c);
            REQUIRE(id.has_value());
            peer_of[i] = *id;
        }
    }

    tunnel& a() { return *side[0]; }
    tunnel& b() { return *side[1]; }
    const peer& peer_at(int i) { return *side[i]->get_peer(peer_of[i]); }

    /// Side i sends an IP packet to the other side's tunnel address.
    packet_result send(int i, std::size_t payload = 100, std::uint32_t seq = 0) {
        bytes p =
            i == 0 ? ipv4_packet(ip_a, ip_b, payload, seq) : ipv4_packet(ip_b, ip_a, payload, seq);
        packet_result r = side[i]->send(p, now, buf);
        queue(i, r);
        return r;
    }

    /// Queues what side i emitted for the network (if anything).
    void queue(int i, const packet_result& r) {
        if (r.what != action::to_network) return;
        int to = -1;
        for (int j = 0; j < 2; ++j)
            if (r.endpoint == addr[j] || r.endpoint == from_override[j]) to = j;
        REQUIRE(to >= 0);
        wire.push_back(
            {to, bytes(r.packet.begin(), r.packet.end()), from_override[i].value_or(addr[i])});
    }

    /// Delivers queued datagrams (and what they cause) until the wire is quiet; returns how
    /// many were delivered. `drop_to` drops datagrams to that side instead.
    int pump(int drop_to = -1) {
        int n = 0;
        while (!wire.empty()) {
            datagram d = std::move(wire.front());
            wire.pop_front();
            ++n;
            if (d.to == drop_to) continue;
            deliver(d);
        }
        return n;
    }

    packet_result deliver(datagram& d) {
        last_received[d.to] = d.data;
        packet_result r = side[d.to]->receive(d.data, d.from, now, buf);
        if (r.what == action::to_tun)
            delivered[d.to].emplace_back(r.packet.begin(), r.packet.end());
        if (r.what == action::error) errors[d.to].push_back(r.err);
        queue(d.to, r);
        while (side[d.to]->pending() > 0)
            queue(d.to, side[d.to]->drain(now, buf));
        return r;
    }

    /// Runs both sides' due timers at the current time, queueing what they send.
    void tick() {
        for (int i = 0; i < 2; ++i) {
            for (;;) {
                packet_result r = side[i]->tick(now, buf);
                if (r.what == action::none || r.what == action::error) break;
                queue(i, r);
            }
        }
    }

    /// Advances the clock by `total` in steps of `step`, ticking and pumping at each.
    void advance(time_ns total, time_ns step = 100ms, int drop_to = -1) {
        for (time_ns t{0}; t < total; t += step) {
            now += step;
            tick();
            pump(drop_to);
        }
    }

    /// Completes a handshake started by side i with a packet; both sides then hold keys.
    void handshake(int i) {
        send(i);
        pump();
    }

    std::unique_ptr<tunnel> side[2];
    socket_address addr[2];
    std::optional<socket_address> from_override[2];
    peer_id peer_of[2]{};
    time_ns now{1'000'000'000'000};
    std::deque<datagram> wire;
    std::vector<bytes> delivered[2];
    std::vector<error> errors[2];
    bytes last_received[2];
    bytes buf = bytes(2048);
};

}  // namespace edge::wg::test
