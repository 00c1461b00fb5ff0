// Transport batches (whitepaper §5.4.6) on one keypair shared by several threads, as the data
// path of issue 13 will share it: counters reserved per batch are never handed out twice, every
// packet opens on the other side exactly once however the batches interleave, padding and limits
// hold.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include "wg/transport.hpp"

using namespace edge::wg;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {

struct pair_of_keypairs {
    std::shared_ptr<keypair> sender, receiver;
};

pair_of_keypairs make_pair_of(protocol_limits limits = {}) {
    transport_keys a, b;
    a.send.fill(1);
    a.receive.fill(2);
    a.local_index = 7;
    a.remote_index = 9;
    a.is_initiator = true;
    b.send = a.receive;
    b.receive = a.send;
    b.local_index = 9;
    b.remote_index = 7;
    return {std::make_shared<keypair>(a, 0, time_ns{0}, limits),
            std::make_shared<keypair>(b, 0, time_ns{0}, limits)};
}

bytes ip_packet(std::size_t len, std::uint8_t seed) {
    bytes p(len, seed);
    p[0] = 0x45;
    p[2] = std::uint8_t(len >> 8);
    p[3] = std::uint8_t(len);
    return p;
}

// A batch of n sealed datagrams of `len`-byte packets.
std::vector<bytes> seal_batch(keypair& kp, std::size_t n, std::size_t len, counters& c,
                              time_ns now = time_ns{0}) {
    std::vector<bytes> bufs(n);
    std::vector<outbound_packet> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        bytes p = ip_packet(len, std::uint8_t(i));
        bufs[i].assign(outbound_headroom + len + outbound_tailroom, 0);
        std::copy(p.begin(), p.end(), bufs[i].begin() + outbound_headroom);
        out[i] = {bufs[i], len};
    }
    encapsulate(kp, out, 1420, now, c);
    // No Catch2 assertion here: threads call this (a failed seal leaves an empty datagram,
    // which the callers' checks then count as missing).
    for (std::size_t i = 0; i < n; ++i)
        bufs[i].resize(out[i].err == error::none ? out[i].datagram_len : 0);
    return bufs;
}

}  // namespace

TEST_CASE("packets are padded to 16 bytes but never past the MTU") {
    CHECK(padded_length(0, 1420) == 0);
    CHECK(padded_length(1, 1420) == 16);
    CHECK(padded_length(28, 1420) == 32);
    CHECK(padded_length(1419, 1420) == 1420);
    CHECK(padded_length(1420, 1420) == 1420);
    CHECK(padded_length(1415, 1418) == 1418);
}

TEST_CASE("a batch of 64 seals and opens in place, with per-packet errors") {
    auto kp = make_pair_of();
    counters c;
    auto sealed = seal_batch(*kp.sender, 64, 1420, c);
    CHECK(kp.sender->send_counter() == 64);
    sealed[5].back() ^= 1;  // a forged tag
    sealed[9].resize(20);   // truncated
    std::vector<inbound_packet> in(64);
    for (std::size_t i = 0; i < 64; ++i)
        in[i].datagram = sealed[i];
    batch_outcome o = decapsulate(*kp.receiver, in, nullptr, time_ns{0}, c);
    CHECK(o.done == 62);
    CHECK(in[5].err == error::decrypt_failed);
    CHECK(in[9].err == error::bad_length);
    CHECK(in[10].plain.size() == 1420);
    CHECK(bytes(in[10].plain.begin(), in[10].plain.end()) == ip_packet(1420, 10));
    CHECK(c.get(error::decrypt_failed) == 1);
}

TEST_CASE("threads sealing for one keypair never share a counter") {
    auto kp = make_pair_of();
    constexpr int k_threads = 4, k_batches = 100, k_batch = 32;
    std::vector<std::vector<bytes>> sealed(k_threads);
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
            counters c;
            for (int b = 0; b < k_batches; ++b)
                for (auto& d : seal_batch(*kp.sender, k_batch, 64, c))
                    sealed[std::size_t(t)].push_back(std::move(d));
        });
    }
    for (auto& t : threads)
        t.join();
    std::set<std::uint64_t> counters_used;
    for (const auto& per_thread : sealed)
        for (const auto& d : per_thread)
            if (auto h = parse_data_header(d)) counters_used.insert(h->counter);
    CHECK(counters_used.size() == std::size_t(k_threads * k_batches * k_batch));
    CHECK(*counters_used.rbegin() == std::uint64_t(k_threads * k_batches * k_batch - 1));
}

TEST_CASE("threads opening the same datagrams accept each exactly once") {
    auto kp = make_pair_of();
    counters seal_count;
    constexpr std::size_t k_n = 2000;
    const auto sealed = seal_batch(*kp.sender, k_n, 100, seal_count);
    constexpr int k_threads = 4;
    std::vector<std::size_t> accepted(k_threads), replays(k_threads);
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
            counters c;
            auto copy = sealed;
            // Each thread walks the datagrams in its own order, in batches of 16.
            if (t % 2 == 1) std::reverse(copy.begin(), copy.end());
            for (std::size_t base = 0; base < k_n; base += 16) {
                std::vector<inbound_packet> in(16);
                for (std::size_t i = 0; i < 16; ++i)
                    in[i].datagram = copy[base + i];
                accepted[std::size_t(t)] +=
                    decapsulate(*kp.receiver, in, nullptr, time_ns{0}, c).done;
            }
            replays[std::size_t(t)] = c.get(error::replay);
        });
    }
    for (auto& t : threads)
        t.join();
    std::size_t total = 0, total_replays = 0;
    for (int t = 0; t < k_threads; ++t) {
        total += accepted[std::size_t(t)];
        total_replays += replays[std::size_t(t)];
    }
    CHECK(total == k_n);
    CHECK(total_replays == k_n * (k_threads - 1));
}

TEST_CASE("a keypair refuses to seal or open past its limits") {
    protocol_limits lim;
    lim.reject_after_messages = 10;
    auto kp = make_pair_of(lim);
    counters c;
    auto ok = seal_batch(*kp.sender, 8, 40, c);
    std::vector<bytes> bufs(4, bytes(outbound_headroom + 40 + outbound_tailroom));
    std::vector<outbound_packet> out;
    for (auto& b : bufs) {
        b[outbound_headroom] = 0x45;
        out.push_back({b, 40});
    }
    encapsulate(*kp.sender, out, 1420, time_ns{0}, c);
    CHECK(out[0].err == error::expired_keys);  // 8 + 4 would pass 10: the block is refused
    // Keys older than Reject-After-Time neither seal nor open.
    inbound_packet in{ok[0]};
    decapsulate(*kp.receiver, std::span(&in, 1), nullptr, time_ns{0} + 180s, c);
    CHECK(in.err == error::expired_keys);
    std::vector<outbound_packet> late{{bufs[0], 40}};
    encapsulate(*kp.sender, late, 1420, time_ns{0} + 181s, c);
    CHECK(late[0].err == error::expired_keys);
}
