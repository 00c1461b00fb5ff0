// The cookie mechanism (whitepaper §5.3) between two tunnels: under load a responder answers
// with a cookie reply instead of doing DH, the initiator's next attempt carries mac2 and
// completes; one source flooding valid messages is limited.
#include <catch2/catch.hpp>

#include "tests/wg/two_peers.hpp"

using namespace edge;
using namespace edge::wg;
using namespace edge::wg::test;

TEST_CASE("under load, a cookie round trip lets the handshake through") {
    pair_options o;
    o.load_after_b = 0;  // every handshake message B sees counts as load
    two_peers net(o);
    net.send(0, 100);
    net.pump();
    // B answered with a cookie reply (64 bytes) instead of a response, and holds no keys.
    CHECK(net.b().rejections().get(error::cookie_required) == 1);
    CHECK(net.last_received[0].size() == cookie_reply_size);
    CHECK(net.peer_at(1).keypairs.next() == nullptr);
    CHECK(net.delivered[1].empty());
    // A's retry after Rekey-Timeout carries mac2 and completes.
    net.advance(6s);
    CHECK(net.b().rejections().get(error::cookie_required) == 1);
    REQUIRE(net.delivered[1].size() == 1);
    CHECK(net.peer_at(0).stats.handshakes == 1);
}

TEST_CASE("a cookie is bound to the source address it was given to") {
    pair_options o;
    o.load_after_b = 0;
    two_peers net(o);
    net.send(0, 100);
    net.pump();
    net.from_override[0] = address("198.51.100.1:9");  // A now appears from elsewhere
    net.advance(6s);
    CHECK(net.b().rejections().get(error::cookie_required) == 2);
    CHECK(net.delivered[1].empty());
}

TEST_CASE("a cookie reply that does not decrypt is refused") {
    pair_options o;
    o.load_after_b = 0;
    two_peers net(o);
    net.send(0, 100);
    datagram init = net.wire.front();
    net.wire.clear();
    packet_result r = net.b().receive(init.data, init.from, net.now, net.buf);
    REQUIRE(r.packet.size() == cookie_reply_size);
    bytes reply(r.packet.begin(), r.packet.end());
    reply[40] ^= 1;
    packet_result bad = net.a().receive(reply, net.addr[1], net.now, net.buf);
    CHECK(bad.err == error::bad_cookie_reply);
}

TEST_CASE("under load, one source's valid handshakes are rate limited") {
    pair_options o;
    o.load_after_b = 0;
    two_peers net(o);
    net.send(0, 100);
    net.pump();       // cookie obtained
    net.advance(6s);  // handshake completes with mac2
    REQUIRE(net.peer_at(0).stats.handshakes == 1);
    net.now += 1s;
    packet_result r = net.a().initiate(net.peer_of[0], net.now, net.buf);
    REQUIRE(r.packet.size() == initiation_size);
    const bytes init(r.packet.begin(), r.packet.end());  // carries a valid mac2
    // 20 copies at once: the burst of 5 passes the limiter (one completes, four are stale
    // replays), the other 15 are refused before any DH.
    for (int k = 0; k < 20; ++k) {
        bytes copy = init;
        net.b().receive(copy, net.addr[0], net.now, net.buf);
    }
    CHECK(net.b().rejections().get(error::rate_limited) == 15);
    CHECK(net.b().rejections().get(error::stale_timestamp) == 4);
}
