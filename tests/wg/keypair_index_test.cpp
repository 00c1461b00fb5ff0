// The data path as issue 13 will run it: the control thread owns the tunnels and publishes
// keypairs; worker threads, each with its own keypair_index, encrypt batches for one peer at once
// and decrypt another's batches at once; what they did goes back through note_sent /
// note_received. Every packet arrives exactly once and intact; the index follows republication.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/wg/two_peers.hpp"
#include "wg/keypair_index.hpp"

using namespace edge;
using namespace edge::wg;
using namespace edge::wg::test;

TEST_CASE("a keypair_index follows what the control thread publishes") {
    two_peers net;
    keypair_index idx;
    CHECK(idx.sending(net.peer_of[0]) == nullptr);
    net.handshake(0);
    idx.update(net.peer_of[0], net.a().sessions_of(net.peer_of[0]));
    keypair* current = idx.sending(net.peer_of[0]);
    REQUIRE(current != nullptr);
    CHECK(idx.find(current->local_index()) == current);
    CHECK(idx.size() == 1);
    // A second handshake: the old keypair becomes previous and still decrypts.
    net.now += 10s;
    net.queue(0, net.a().initiate(net.peer_of[0], net.now, net.buf));
    net.pump();
    idx.update(net.peer_of[0], net.a().sessions_of(net.peer_of[0]));
    CHECK(idx.size() == 2);
    CHECK(idx.find(current->local_index()) == current);
    CHECK(idx.sending(net.peer_of[0]) != current);
    idx.remove(net.peer_of[0]);
    CHECK(idx.size() == 0);
    CHECK(idx.find(current->local_index()) == nullptr);
}

TEST_CASE("two workers encrypt for one peer and two decrypt, each packet arrives once") {
    two_peers net;
    net.handshake(0);
    net.send(1, 10);
    net.pump();  // both sides hold a current keypair
    constexpr int k_workers = 2, k_batches = 50, k_batch = 32;
    const auto table_a = net.a().routing_table();
    const auto table_b = net.b().routing_table();

    // ---- A's workers: route by destination, seal in batches ----
    std::vector<std::vector<bytes>> sealed(k_workers);
    std::vector<batch_outcome> sent(k_workers);
    std::vector<bool> routed(k_workers, true), found(k_workers, true);  // Catch2 asserts on
                                                                        // this thread only
    std::vector<std::thread> workers;
    for (int w = 0; w < k_workers; ++w) {
        workers.emplace_back([&, w] {
            keypair_index idx;
            idx.update(net.peer_of[0], net.a().sessions_of(net.peer_of[0]));
            counters c;
            for (int b = 0; b < k_batches; ++b) {
                std::vector<bytes> bufs(k_batch);
                std::vector<outbound_packet> out(k_batch);
                for (int i = 0; i < k_batch; ++i) {
                    const bytes p =
                        ipv4_packet(ip_a, ip_b, 200, std::uint32_t(w * 100000 + b * 100 + i));
                    if (table_a->destination_peer(p) != net.peer_of[0])
                        routed[std::size_t(w)] = false;
                    bufs[std::size_t(i)].assign(outbound_headroom + p.size() + outbound_tailroom,
                                                0);
                    std::copy(p.begin(), p.end(), bufs[std::size_t(i)].begin() + outbound_headroom);
                    out[std::size_t(i)] = {bufs[std::size_t(i)], p.size()};
                }
                batch_outcome o = encapsulate(*idx.sending(net.peer_of[0]), out, 1420, net.now, c);
                sent[std::size_t(w)].done += o.done;
                for (int i = 0; i < k_batch; ++i) {
                    bufs[std::size_t(i)].resize(out[std::size_t(i)].datagram_len);
                    sealed[std::size_t(w)].push_back(std::move(bufs[std::size_t(i)]));
                }
            }
        });
    }
    for (auto& t : workers)
        t.join();
    workers.clear();
    for (int w = 0; w < k_workers; ++w)
        net.a().note_sent(net.peer_of[0], sent[std::size_t(w)].done, sent[std::size_t(w)].done, 0,
                          false, net.now);

    // ---- B's workers: the datagrams interleaved between them, opened in batches ----
    std::vector<bytes> all;
    for (std::size_t i = 0; i < sealed[0].size(); ++i)
        for (int w = 0; w < k_workers; ++w)
            all.push_back(sealed[std::size_t(w)][i]);
    std::vector<std::size_t> delivered(k_workers);
    std::vector<bool> intact(k_workers, true);
    for (int w = 0; w < k_workers; ++w) {
        workers.emplace_back([&, w] {
            keypair_index idx;
            idx.update(net.peer_of[1], net.b().sessions_of(net.peer_of[1]));
            counters c;
            for (std::size_t base = std::size_t(w) * k_batch; base < all.size();
                 base += k_workers * k_batch) {
                std::vector<inbound_packet> in(k_batch);
                for (std::size_t i = 0; i < k_batch; ++i)
                    in[i].datagram = all[base + i];
                keypair* kp = idx.find(receiver_index(all[base]));
                if (kp == nullptr) {
                    found[std::size_t(w)] = false;
                    return;
                }
                delivered[std::size_t(w)] += decapsulate(*kp, in, table_b.get(), net.now, c).data;
                for (const auto& p : in)
                    if (p.plain.size() != 228) intact[std::size_t(w)] = false;
            }
        });
    }
    for (auto& t : workers)
        t.join();
    CHECK(delivered[0] + delivered[1] == std::size_t(k_workers * k_batches * k_batch));
    CHECK(intact[0]);
    CHECK(intact[1]);
    CHECK(routed[0]);
    CHECK(routed[1]);
    CHECK(found[0]);
    CHECK(found[1]);
    // What the workers reported drives the control thread's timers.
    CHECK(net.peer_at(0).timers.new_handshake != no_deadline);
}
