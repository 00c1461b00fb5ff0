// Two tunnels in memory (tests/wg/two_peers.hpp): handshakes either way and at once, data both
// ways, replays and reordering, roaming, a PSK mismatch, and hostile datagrams.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/wg/two_peers.hpp"

using namespace edge;
using namespace edge::wg;
using namespace edge::wg::test;

namespace {

std::size_t count(const std::vector<error>& v, error e) {
    return std::size_t(std::count(v.begin(), v.end(), e));
}

// Seals `n` packets from side i without delivering them; returns the datagrams in send order.
std::vector<datagram> capture(two_peers& net, int i, int n) {
    for (int k = 0; k < n; ++k)
        net.send(i, 40, std::uint32_t(k));
    std::vector<datagram> out(net.wire.begin(), net.wire.end());
    net.wire.clear();
    return out;
}

}  // namespace

TEST_CASE("a handshake started by either side carries data both ways") {
    for (int first : {0, 1}) {
        two_peers net;
        INFO("initiator: side " << first);
        packet_result r = net.send(first, 100);
        CHECK(r.what == action::to_network);
        CHECK(r.packet.size() == initiation_size);  // the packet waits for the handshake
        net.pump();
        // The staged packet arrived once the handshake completed.
        REQUIRE(net.delivered[1 - first].size() == 1);
        CHECK(net.delivered[1 - first][0] ==
              (first == 0 ? ipv4_packet(ip_a, ip_b, 100) : ipv4_packet(ip_b, ip_a, 100)));
        for (int k = 0; k < 5; ++k) {
            net.send(0, 200 + std::size_t(k), std::uint32_t(k));
            net.send(1, 300 + std::size_t(k), std::uint32_t(k));
        }
        net.pump();
        CHECK(net.delivered[1].size() == (first == 0 ? 6u : 5u));
        CHECK(net.delivered[0].size() == (first == 1 ? 6u : 5u));
        CHECK(net.delivered[1].back() == ipv4_packet(ip_a, ip_b, 204, 4));
        CHECK(net.delivered[0].back() == ipv4_packet(ip_b, ip_a, 304, 4));
        CHECK(net.peer_at(0).stats.handshakes == 1);
        CHECK(net.peer_at(1).stats.handshakes == 1);
        CHECK(net.errors[0].empty());
        CHECK(net.errors[1].empty());
    }
}

TEST_CASE("the responder sends only after the initiator confirms the keypair") {
    two_peers net;
    net.a().initiate(net.peer_of[0], net.now, net.buf);
    net.queue(0, net.a().initiate(net.peer_of[0], net.now, net.buf));  // no second initiation
    CHECK(net.wire.empty());
    net.queue(0, [&] {
        net.a().tick(net.now, net.buf);  // nothing due
        net.now += 6s;                   // the first initiation was never delivered: retried
        return net.a().tick(net.now, net.buf);
    }());
    REQUIRE(net.wire.size() == 1);
    net.pump();
    // The initiator answered the response with a keepalive; the responder's keypair is current.
    CHECK(net.peer_at(1).keypairs.current() != nullptr);
    CHECK(net.peer_at(1).keypairs.next() == nullptr);
}

TEST_CASE("simultaneous initiations both complete and data flows both ways") {
    two_peers net;
    net.send(0, 60, 1);
    net.send(1, 70, 2);
    REQUIRE(net.wire.size() == 2);  // two initiations crossing
    net.pump();
    net.send(0, 61, 3);
    net.send(1, 71, 4);
    net.pump();
    CHECK(std::count(net.delivered[1].begin(), net.delivered[1].end(),
                     ipv4_packet(ip_a, ip_b, 61, 3)) == 1);
    CHECK(std::count(net.delivered[0].begin(), net.delivered[0].end(),
                     ipv4_packet(ip_b, ip_a, 71, 4)) == 1);
    CHECK(net.delivered[1].size() == 2);
    CHECK(net.delivered[0].size() == 2);
}

TEST_CASE("replayed packets are dropped, reordered ones within the window accepted") {
    two_peers net;
    net.handshake(0);
    net.delivered[1].clear();

    SECTION("the same datagram twice") {
        auto d = capture(net, 0, 1);
        datagram copy = d[0];
        net.deliver(d[0]);
        net.deliver(copy);
        CHECK(net.delivered[1].size() == 1);
        CHECK(count(net.errors[1], error::replay) == 1);
        CHECK(net.b().rejections().get(error::replay) == 1);
    }
    SECTION("reversed order within the window") {
        auto d = capture(net, 0, 300);
        std::reverse(d.begin(), d.end());
        for (auto& x : d)
            net.deliver(x);
        CHECK(net.delivered[1].size() == 300);
        CHECK(net.errors[1].empty());
    }
    SECTION("older than the window") {
        const int n = int(replay_window::window) + 2;
        auto d = capture(net, 0, n);
        datagram first = d[0], second = d[1];
        for (int k = 2; k < n; ++k)
            net.deliver(d[std::size_t(k)]);
        net.deliver(second);  // exactly `window` behind the highest: still accepted
        net.deliver(first);   // one further: outside
        CHECK(net.delivered[1].size() == std::size_t(n - 1));
        CHECK(count(net.errors[1], error::replay) == 1);
    }
}

TEST_CASE("a peer that moves is answered at its new address (roaming)") {
    two_peers net;
    net.handshake(0);
    net.from_override[1] = address("198.51.100.7:40000");
    net.send(1, 50);
    net.pump();
    CHECK(*net.peer_at(0).endpoint == address("198.51.100.7:40000"));
    packet_result r = net.send(0, 50);
    CHECK(r.endpoint == address("198.51.100.7:40000"));
    // A forged packet from elsewhere does not move the endpoint: it does not authenticate.
    datagram forged{0, bytes(net.last_received[0]), address("203.0.113.9:1")};
    forged.data.back() ^= 1;
    net.wire.clear();
    net.deliver(forged);
    CHECK(*net.peer_at(0).endpoint == address("198.51.100.7:40000"));
}

TEST_CASE("a preshared-key mismatch fails the handshake cleanly") {
    pair_options o;
    o.psk_a = seed_of(1);
    o.psk_b = seed_of(2);
    two_peers net(o);
    net.send(0, 100);
    net.pump();
    CHECK(net.delivered[1].empty());
    CHECK(count(net.errors[0], error::handshake_failed) == 1);
    CHECK(net.peer_at(0).keypairs.current() == nullptr);
    // The responder's unconfirmed keypair is never used to send.
    CHECK(net.peer_at(1).keypairs.current() == nullptr);
    net.send(1, 10);
    CHECK(net.wire.size() == 1);
    CHECK(net.wire.front().data.size() == initiation_size);
}

TEST_CASE("a replayed initiation and a tampered one are refused before any key changes") {
    two_peers net;
    net.send(0, 10);
    datagram init = net.wire.front();
    net.pump();
    const auto epoch = net.b().epoch();
    net.deliver(init);
    CHECK(count(net.errors[1], error::stale_timestamp) == 1);
    init.data[20] ^= 1;  // inside the ephemeral key: mac1 no longer matches
    net.deliver(init);
    CHECK(count(net.errors[1], error::bad_mac1) == 1);
    CHECK(net.b().epoch() == epoch);
}

TEST_CASE("garbage, truncated and oversized datagrams of every type are counted and dropped") {
    two_peers net;
    net.handshake(0);
    const std::size_t sizes[] = {0,  1,  3,  4,  31,  32,  33,  63,   64,
                                 65, 91, 92, 93, 147, 148, 149, 1500, max_data_size + 1};
    std::uint64_t rejected = 0;
    for (std::uint8_t type = 0; type < 7; ++type) {
        for (std::size_t n : sizes) {
            bytes d(n, 0xa5);
            if (n > 0) d[0] = type;
            if (n > 3) d[1] = d[2] = d[3] = 0;
            packet_result r = net.b().receive(d, net.addr[0], net.now, net.buf);
            CHECK(r.what == action::error);
            ++rejected;
        }
    }
    std::uint64_t counted = 0;
    for (std::size_t e = 1; e < error_count; ++e)
        counted += net.b().rejections().get(error(e));
    CHECK(counted == rejected);
    // And the session still works.
    net.send(0, 10, 9);
    net.pump();
    CHECK(net.delivered[1].back() == ipv4_packet(ip_a, ip_b, 10, 9));
}

TEST_CASE("a packet whose inner source is not the peer's allowed IP is dropped") {
    two_peers net;
    net.handshake(0);
    net.delivered[1].clear();
    // A claims B's address as its source: B's table gives 10.9.0.2 to no peer of B's.
    const bytes spoofed = ipv4_packet(ip_b, ip_b, 20);
    peer& a_peer = const_cast<peer&>(net.peer_at(0));
    packet_result r = net.a().send(ipv4_packet(ip_a, ip_b, 20), net.now, net.buf);
    REQUIRE(r.what == action::to_network);
    // Build the same thing by hand with a spoofed source through the keypair A sends with.
    bytes buf(outbound_headroom + spoofed.size() + outbound_tailroom);
    std::copy(spoofed.begin(), spoofed.end(), buf.begin() + outbound_headroom);
    outbound_packet op{buf, spoofed.size()};
    counters c;
    encapsulate(*a_peer.keypairs.current(), std::span(&op, 1), 1420, net.now, c);
    datagram d{1, bytes(buf.begin(), buf.begin() + long(op.datagram_len)), net.addr[0]};
    net.deliver(d);
    CHECK(net.delivered[1].empty());
    CHECK(count(net.errors[1], error::disallowed_source) == 1);
}

TEST_CASE("a packet to a destination no peer owns is refused with no_route") {
    two_peers net;
    packet_result r = net.a().send(ipv4_packet(ip_a, 0x08080808, 10), net.now, net.buf);
    CHECK(r.what == action::error);
    CHECK(r.err == error::no_route);
}

TEST_CASE("our own key, a duplicate and a low-order key are refused as peers") {
    two_peers net;
    peer_config c;
    c.public_key = net.a().identity().public_key;
    CHECK(net.a().add_peer(c).error() == error::unknown_peer);
    c.public_key = net.b().identity().public_key;
    CHECK(net.a().add_peer(c).error() == error::unknown_peer);
    c.public_key = key{};  // the point of order 1: every DH with it is zero
    CHECK(net.a().add_peer(c).error() == error::low_order_key);
}

TEST_CASE("a removed peer's routes and sessions are gone") {
    two_peers net;
    net.handshake(0);
    net.a().remove_peer(net.peer_of[0]);
    CHECK(net.a().send(ipv4_packet(ip_a, ip_b, 10), net.now, net.buf).err == error::no_route);
    net.send(1, 10);
    net.pump();
    CHECK(count(net.errors[0], error::unknown_index) == 1);
    CHECK(net.a().find_peer(net.b().identity().public_key) == no_peer);
}
