// Transport data messages of 1420-byte packets: wg::encapsulate / wg::decapsulate singly and in
// batches of 32 and 64, each beside the raw AEAD doing the same work in the same run
// (wg_raw_seal / wg_raw_open: aead_seal_in_place / aead_open_in_place and the batch forms). The
// protocol adds the header, padding, the counter reservation, the replay window and the inner
// packet's checks; the target is within 10 % of the raw figures.
//
// Opening destroys the ciphertext, so both the wg and the raw open benchmarks restore it from a
// pool of pristine datagrams with a memcpy per packet (counted against both alike), and the
// receiving keypair is replaced once per pass over the pool (the replay window would refuse the
// second pass), which costs under 1 ns per packet.
//   build/bench/micro --benchmark_filter='wg_(raw_)?(seal|open|encapsulate|decapsulate)'

#include <benchmark/benchmark.h>

#include <cstring>
#include <optional>
#include <vector>

#include "wg/crypto/chacha20poly1305.hpp"
#include "wg/transport.hpp"

namespace {

using namespace edge::wg;
namespace crypto = edge::wg::crypto;
using bytes = std::vector<std::uint8_t>;

constexpr std::size_t k_len = 1420;
constexpr std::size_t k_slot = outbound_headroom + k_len + outbound_tailroom;
constexpr std::size_t k_pool = 256;  // datagrams in the decapsulate pool

transport_keys bench_keys(bool initiator) {
    transport_keys k;
    k.send.fill(initiator ? 1 : 2);
    k.receive.fill(initiator ? 2 : 1);
    k.local_index = initiator ? 7 : 9;
    k.remote_index = initiator ? 9 : 7;
    k.is_initiator = initiator;
    return k;
}

bytes ip_packet() {
    bytes p(k_len, 0x5a);
    p[0] = 0x45;
    p[2] = std::uint8_t(k_len >> 8);
    p[3] = std::uint8_t(k_len);
    return p;
}

void set_rates(benchmark::State& st, std::size_t packets) {
    st.SetItemsProcessed(std::int64_t(st.iterations() * packets));
    st.SetBytesProcessed(std::int64_t(st.iterations() * packets * k_len));
}

void encapsulate_bench(benchmark::State& st, std::size_t batch) {
    keypair kp(bench_keys(true), 0, time_ns{0}, {});
    bytes bufs(batch * k_slot);
    const bytes p = ip_packet();
    std::vector<outbound_packet> out(batch);
    for (std::size_t i = 0; i < batch; ++i)
        std::memcpy(bufs.data() + i * k_slot + outbound_headroom, p.data(), k_len);
    counters c;
    for (auto _ : st) {
        for (std::size_t i = 0; i < batch; ++i)
            out[i] = {std::span(bufs.data() + i * k_slot, k_slot), k_len};
        batch_outcome o = encapsulate(kp, out, k_len, time_ns{0}, c);
        benchmark::DoNotOptimize(o);
    }
    set_rates(st, batch);
}

void raw_seal_bench(benchmark::State& st, std::size_t batch) {
    const key k = bench_keys(true).send;
    bytes bufs(batch * k_slot, 0x5a);
    std::vector<crypto::aead_packet> packets(batch);
    std::uint64_t counter = 0;
    for (auto _ : st) {
        if (batch == 1) {
            crypto::aead_seal_in_place(std::span(bufs.data() + outbound_headroom, k_len + 16), {},
                                       k, crypto::wg_nonce(counter++));
        } else {
            for (std::size_t i = 0; i < batch; ++i)
                packets[i] = {
                    bufs.data() + i * k_slot + outbound_headroom, k_len, counter++, {}, false};
            crypto::aead_seal_batch(packets, k);
        }
        benchmark::DoNotOptimize(bufs.data());
    }
    set_rates(st, batch);
}

// k_pool sealed datagrams with counters 0..k_pool-1 (batch forms use the first `batch`).
bytes sealed_pool(std::size_t n) {
    keypair kp(bench_keys(true), 0, time_ns{0}, {});
    bytes bufs(n * k_slot);
    const bytes p = ip_packet();
    std::vector<outbound_packet> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::memcpy(bufs.data() + i * k_slot + outbound_headroom, p.data(), k_len);
        out[i] = {std::span(bufs.data() + i * k_slot, k_slot), k_len};
    }
    counters c;
    encapsulate(kp, out, k_len, time_ns{0}, c);
    return bufs;
}

constexpr std::size_t k_datagram = data_header_size + k_len + tag_size;

void decapsulate_bench(benchmark::State& st, std::size_t batch) {
    const std::size_t pool = batch == 1 ? k_pool : batch;
    const bytes pristine = sealed_pool(pool);
    bytes work = pristine;
    std::optional<keypair> kp;
    std::vector<inbound_packet> in(batch);
    counters c;
    std::size_t next = pool;
    for (auto _ : st) {
        if (next == pool) {
            kp.reset();
            kp.emplace(bench_keys(false), 0, time_ns{0}, protocol_limits{});
            next = 0;
        }
        for (std::size_t i = 0; i < batch; ++i, ++next) {
            std::memcpy(work.data() + next * k_slot, pristine.data() + next * k_slot, k_datagram);
            in[i].datagram = std::span(work.data() + next * k_slot, k_datagram);
        }
        batch_outcome o = decapsulate(*kp, in, nullptr, time_ns{0}, c);
        if (o.done != batch) st.SkipWithError("decapsulate refused a packet");
    }
    set_rates(st, batch);
}

void raw_open_bench(benchmark::State& st, std::size_t batch) {
    const std::size_t pool = batch == 1 ? k_pool : batch;
    const bytes pristine = sealed_pool(pool);
    bytes work = pristine;
    const key k = bench_keys(false).receive;
    std::vector<crypto::aead_packet> packets(batch);
    std::size_t next = pool;
    for (auto _ : st) {
        if (next == pool) next = 0;
        for (std::size_t i = 0; i < batch; ++i, ++next) {
            std::memcpy(work.data() + next * k_slot, pristine.data() + next * k_slot, k_datagram);
            packets[i] = {work.data() + next * k_slot + data_header_size, k_len, next, {}, false};
        }
        if (batch == 1) {
            if (!crypto::aead_open_in_place(std::span(packets[0].data, k_len + 16), {}, k,
                                            crypto::wg_nonce(packets[0].counter)))
                st.SkipWithError("open failed");
        } else if (crypto::aead_open_batch(packets, k) != batch) {
            st.SkipWithError("open failed");
        }
    }
    set_rates(st, batch);
}

const bool k_registered = [] {
    for (std::size_t batch : {1, 32, 64}) {
        const std::string b = "/1420x" + std::to_string(batch);
        benchmark::RegisterBenchmark(("wg_encapsulate" + b).c_str(), encapsulate_bench, batch);
        benchmark::RegisterBenchmark(("wg_raw_seal" + b).c_str(), raw_seal_bench, batch);
        benchmark::RegisterBenchmark(("wg_decapsulate" + b).c_str(), decapsulate_bench, batch);
        benchmark::RegisterBenchmark(("wg_raw_open" + b).c_str(), raw_open_bench, batch);
    }
    return true;
}();

}  // namespace
