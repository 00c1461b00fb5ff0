// Handshakes through wg::tunnel, both sides: the initiator creates an initiation, the responder
// checks mac1, consumes it and answers, the initiator consumes the response and sends its
// keepalive — one iteration is one whole handshake (4 X25519 on each side, plus the key
// derivations), and the per-step figures separate the two roles.
//   build/bench/micro --benchmark_filter='wg_handshake'

#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "wg/tunnel.hpp"

namespace {

using namespace edge;
using namespace edge::wg;
using namespace std::chrono_literals;

struct pair_of_tunnels {
    std::unique_ptr<tunnel> a, b;
    peer_id a_b = no_peer;
    std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(2048), msg;
    socket_address addr_a = *parse_socket_address("192.0.2.1:1"),
                   addr_b = *parse_socket_address("192.0.2.2:2");

    pair_of_tunnels() {
        tunnel_options oa, ob;
        oa.private_key.fill(0x11);
        ob.private_key.fill(0x22);
        oa.random_seed.fill(1);
        ob.random_seed.fill(2);
        a = std::make_unique<tunnel>(oa);
        b = std::make_unique<tunnel>(ob);
        a_b = *a->add_peer({b->identity().public_key, std::nullopt, addr_b, {}, 0});
        (void)*b->add_peer({a->identity().public_key, std::nullopt, addr_a, {}, 0});
    }
};

void handshake_bench(benchmark::State& st) {
    pair_of_tunnels p;
    time_ns now{1'000'000'000};
    for (auto _ : st) {
        now += 1s;  // a newer timestamp each time, and no initiation flood
        packet_result init = p.a->initiate(p.a_b, now, p.buf);
        p.msg.assign(init.packet.begin(), init.packet.end());
        packet_result resp = p.b->receive(p.msg, p.addr_a, now, p.buf);
        p.msg.assign(resp.packet.begin(), resp.packet.end());
        packet_result done = p.a->receive(p.msg, p.addr_b, now, p.buf);
        if (done.what != action::to_network) st.SkipWithError("handshake failed");
    }
    st.SetItemsProcessed(st.iterations());
}

void initiation_bench(benchmark::State& st) {
    pair_of_tunnels p;
    time_ns now{1'000'000'000};
    for (auto _ : st) {
        now += 1s;
        packet_result init = p.a->initiate(p.a_b, now, p.buf);
        benchmark::DoNotOptimize(init);
        st.PauseTiming();
        p.a->remove_peer(p.a_b);  // forget the initiation in flight
        p.a_b = *p.a->add_peer({p.b->identity().public_key, std::nullopt, p.addr_b, {}, 0});
        st.ResumeTiming();
    }
}

BENCHMARK(handshake_bench)->Name("wg_handshake/full_round");
BENCHMARK(initiation_bench)->Name("wg_handshake/initiation_only");

}  // namespace
