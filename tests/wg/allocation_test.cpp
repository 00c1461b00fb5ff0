// "No allocation per packet", measured: this binary replaces the global operator new with one
// that counts, sets up two tunnels with a session (allocations allowed there: peers, keypairs,
// the allowed-IPs table), then sends data both ways through tunnel::send/receive, runs a batch
// through transport's encapsulate/decapsulate, and feeds hostile datagrams of every type — and
// checks that none of it allocated.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "tests/wg/two_peers.hpp"

namespace {
std::atomic<std::size_t> g_allocations{0};
}

void* operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

using namespace edge;
using namespace edge::wg;
using namespace edge::wg::test;

TEST_CASE("the data path and hostile datagrams allocate nothing") {
    two_peers net;
    net.handshake(0);
    net.send(1, 10);
    net.pump();
    // Everything below works in buffers made now.
    const bytes from_a = ipv4_packet(ip_a, ip_b, 1000), from_b = ipv4_packet(ip_b, ip_a, 1000);
    bytes out(2048), datagram(2048), hostile(200, 0x33);
    std::vector<outbound_packet> batch(32);
    std::vector<inbound_packet> inbound(32);
    std::vector<bytes> slots(32, bytes(outbound_headroom + from_a.size() + outbound_tailroom));
    auto kp_a = net.a().sessions_of(net.peer_of[0]).current;
    auto kp_b = net.b().sessions_of(net.peer_of[1]).current;
    auto table_b = net.b().routing_table();
    counters c;

    const std::size_t before = g_allocations.load();
    std::size_t delivered = 0;
    for (int k = 0; k < 500; ++k) {
        for (int side = 0; side < 2; ++side) {
            tunnel& tx = side == 0 ? net.a() : net.b();
            tunnel& rx = side == 0 ? net.b() : net.a();
            packet_result r = tx.send(side == 0 ? from_a : from_b, net.now, out);
            REQUIRE(r.what == action::to_network);
            std::copy(r.packet.begin(), r.packet.end(), datagram.begin());
            packet_result got = rx.receive(std::span(datagram.data(), r.packet.size()),
                                           net.addr[side], net.now, out);
            delivered += got.what == action::to_tun;
        }
    }
    for (std::size_t i = 0; i < 32; ++i) {
        std::copy(from_a.begin(), from_a.end(), slots[i].begin() + outbound_headroom);
        batch[i] = {slots[i], from_a.size()};
    }
    encapsulate(*kp_a, batch, 1420, net.now, c);
    for (std::size_t i = 0; i < 32; ++i)
        inbound[i].datagram = std::span(slots[i].data(), batch[i].datagram_len);
    const batch_outcome o = decapsulate(*kp_b, inbound, table_b.get(), net.now, c);
    for (std::uint8_t type = 0; type < 6; ++type) {
        for (std::size_t n : {0, 4, 32, 64, 92, 148, 200}) {
            hostile[0] = type;
            hostile[1] = hostile[2] = hostile[3] = 0;
            (void)net.b().receive(std::span(hostile.data(), n), net.addr[0], net.now, out);
        }
    }
    const std::size_t allocations = g_allocations.load() - before;
    CHECK(delivered == 1000);
    CHECK(o.data == 32);
    CHECK(allocations == 0);
}
