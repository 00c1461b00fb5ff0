// Allowed-IPs lookups (wg::allowed_ips_table) among 10 / 1,000 / 100,000 prefixes, IPv4 and IPv6,
// for random addresses drawn from a 64 Ki array so that the cost includes the cache misses a
// data path sees. IPv4 prefixes are mostly /24 with some /16-/32 (a BGP-like mix); IPv6 ones /48
// to /64 under 2000::/3. Target: < 50 ns at 100,000.
//   build/bench/micro --benchmark_filter='wg_allowed_ips'

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "wg/allowed_ips.hpp"

namespace {

using namespace edge::wg;

ip_prefix random_prefix(std::mt19937_64& rng, bool v6) {
    ip_prefix p;
    p.is_v6 = v6;
    const std::uint64_t r = rng();
    if (v6) {
        p.length = std::uint8_t(48 + rng() % 17);
        for (auto& b : p.bytes)
            b = std::uint8_t(rng());
        p.bytes[0] = std::uint8_t(0x20 | (p.bytes[0] & 0x1f));
    } else {
        const unsigned pick = unsigned(r % 10);
        p.length = std::uint8_t(pick < 7 ? 24 : pick < 9 ? 16 + rng() % 8 : 25 + rng() % 8);
        for (int i = 0; i < 4; ++i)
            p.bytes[std::size_t(i)] = std::uint8_t(rng());
    }
    return *ip_prefix::parse(to_string(p));  // clears the host bits
}

void lookup_bench(benchmark::State& st, bool v6) {
    const std::size_t n = std::size_t(st.range(0));
    std::mt19937_64 rng(7);
    allowed_ips set;
    std::vector<ip_prefix> prefixes;
    for (std::size_t i = 0; i < n; ++i) {
        prefixes.push_back(random_prefix(rng, v6));
        set.insert(prefixes.back(), peer_id(i % 1000));
    }
    auto table = set.table();
    // Half the addresses inside some prefix, half anywhere.
    std::vector<std::array<std::uint8_t, 16>> addrs(65536);
    for (std::size_t i = 0; i < addrs.size(); ++i) {
        addrs[i] = prefixes[rng() % prefixes.size()].bytes;
        for (std::size_t b = (i % 2 == 0 ? (v6 ? 8 : 3) : 0); b < (v6 ? 16u : 4u); ++b)
            addrs[i][b] = std::uint8_t(rng());
    }
    std::vector<std::uint32_t> v4(addrs.size());
    for (std::size_t i = 0; i < addrs.size(); ++i)
        v4[i] = std::uint32_t(addrs[i][0]) << 24 | std::uint32_t(addrs[i][1]) << 16 |
                std::uint32_t(addrs[i][2]) << 8 | addrs[i][3];
    std::size_t i = 0;
    std::uint64_t found = 0;
    for (auto _ : st) {
        const peer_id p = v6 ? table->lookup_v6(addrs[i].data()) : table->lookup_v4(v4[i]);
        found += p != no_peer;
        i = (i + 1) & 65535;
    }
    benchmark::DoNotOptimize(found);
    st.SetItemsProcessed(st.iterations());
}

BENCHMARK_CAPTURE(lookup_bench, v4, false)
    ->Name("wg_allowed_ips/v4")
    ->Arg(10)
    ->Arg(1000)
    ->Arg(100000);
BENCHMARK_CAPTURE(lookup_bench, v6, true)
    ->Name("wg_allowed_ips/v6")
    ->Arg(10)
    ->Arg(1000)
    ->Arg(100000);

}  // namespace
