// GeoIP lookup cost: libmaxminddb directly (tree walk + decoding the country and continent) vs
// geo/ without a cache (the same walk plus region mapping) vs geo/ through a worker's lookup
// cache, warm (a repeat client) and cold (every client new). The database has 100,000 random
// networks (80k IPv4, 20k IPv6), built with geo's own writer in the set-up.
//
//   ninja -C build bench/micro
//   build/bench/micro --benchmark_filter=geo_ --benchmark_repetitions=9
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <maxminddb.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "geo/countries.hpp"
#include "geo/database.hpp"
#include "geo/lookup_cache.hpp"
#include "geo/mmdb_writer.hpp"
#include "geo/region_map.hpp"

namespace {

using namespace edge::geo;

struct fixture {
    std::shared_ptr<const database> db;
    MMDB_s raw{};
    region_map map = default_region_map();
    std::vector<ip_address> probes;  // addresses inside the networks, v4 and v6 mixed
    std::size_t networks = 0;
    std::size_t file_size = 0;

    fixture() {
        std::mt19937_64 rng(42);
        const char* countries[] = {"US", "BR", "DE", "JP", "AU", "ZA", "FR", "IN", "CA", "GB",
                                   "AR", "KR", "NL", "SE", "MX", "ES", "IT", "PL", "TR", "EG"};
        mmdb_writer w;
        std::vector<ip_network> nets;
        while (nets.size() < 100000) {
            bool v4 = nets.size() < 80000;
            std::uint8_t b[16];
            for (auto& x : b)
                x = static_cast<std::uint8_t>(rng());
            ip_address a = v4 ? ip_address::from_v4(static_cast<std::uint32_t>(rng()))
                              : ip_address::from_v6(b);
            if (!v4) a.bytes[0] = 0x20 | (a.bytes[0] & 0x0f);  // 2000::/4, global unicast
            unsigned prefix = v4 ? 96 + 16 + static_cast<unsigned>(rng() % 13)
                                 : 24 + static_cast<unsigned>(rng() % 41);
            for (unsigned i = prefix; i < 128; ++i) {
                a.bytes[i / 8] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
            }
            ip_network net{a, static_cast<std::uint8_t>(prefix)};
            record r;
            r.country = *country_code::parse(countries[rng() % 20]);
            r.continent = *continent_of(r.country);
            if (w.insert(net, r)) nets.push_back(net);
        }
        networks = nets.size();
        auto bytes = w.serialize();
        if (!bytes) throw std::runtime_error("serialize failed");
        file_size = bytes->size();
        char path[] = "/tmp/edge-geo-bench-XXXXXX";
        int fd = ::mkstemp(path);
        if (fd < 0 ||
            ::write(fd, bytes->data(), bytes->size()) != static_cast<ssize_t>(bytes->size())) {
            throw std::runtime_error("cannot write the benchmark database");
        }
        ::close(fd);
        auto opened = database::open(path);
        if (!opened) throw std::runtime_error(describe(opened.error()));
        db = *opened;
        if (MMDB_open(path, MMDB_MODE_MMAP, &raw) != MMDB_SUCCESS)
            throw std::runtime_error("MMDB_open");
        ::unlink(path);
        for (int i = 0; i < 1 << 16; ++i) {
            const ip_network& n = nets[rng() % nets.size()];
            ip_address a = n.base;
            for (unsigned bit = n.prefix; bit < 128; ++bit) {
                if (rng() & 1) a.bytes[bit / 8] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
            }
            probes.push_back(a);
        }
    }
};

fixture& fx() {
    static fixture f;
    return f;
}

// What a proxy calling libmaxminddb directly does per client: walk, then read two fields.
void bm_geo_libmaxminddb_direct(benchmark::State& state) {
    auto& f = fx();
    std::size_t i = 0;
    static const char* const country[] = {"country", "iso_code", nullptr};
    static const char* const continent[] = {"continent", "code", nullptr};
    for (auto _ : state) {
        const ip_address& a = f.probes[i++ & 0xffff];
        int err = 0;
        MMDB_lookup_result_s res;
        if (a.is_v4()) {
            sockaddr_in sin{};
            sin.sin_family = AF_INET;
            std::memcpy(&sin.sin_addr, a.bytes.data() + 12, 4);
            res = MMDB_lookup_sockaddr(&f.raw, reinterpret_cast<sockaddr*>(&sin), &err);
        } else {
            sockaddr_in6 sin6{};
            sin6.sin6_family = AF_INET6;
            std::memcpy(&sin6.sin6_addr, a.bytes.data(), 16);
            res = MMDB_lookup_sockaddr(&f.raw, reinterpret_cast<sockaddr*>(&sin6), &err);
        }
        MMDB_entry_data_s c{}, k{};
        if (res.found_entry) {
            MMDB_aget_value(&res.entry, &c, country);
            MMDB_aget_value(&res.entry, &k, continent);
        }
        benchmark::DoNotOptimize(c);
        benchmark::DoNotOptimize(k);
    }
    state.counters["networks"] = static_cast<double>(f.networks);
    state.counters["file_bytes"] = static_cast<double>(f.file_size);
}
BENCHMARK(bm_geo_libmaxminddb_direct);

// geo/ without a cache: the walk, the fields, and the region map.
void bm_geo_database_uncached(benchmark::State& state) {
    auto& f = fx();
    std::size_t i = 0;
    for (auto _ : state) {
        auto r = f.db->lookup(f.probes[i++ & 0xffff]);
        location loc = r ? f.map.locate(*r) : location{};
        benchmark::DoNotOptimize(loc);
    }
}
BENCHMARK(bm_geo_database_uncached);

// A repeat client: the working set (range(0) clients) fits the 4096-entry cache and is warmed
// before timing.
void bm_geo_cache_warm(benchmark::State& state) {
    auto& f = fx();
    lookup_cache cache(4096);
    const std::size_t clients = static_cast<std::size_t>(state.range(0));
    for (std::size_t j = 0; j < clients; ++j)
        cache.locate(f.probes[j], f.db.get(), f.map);
    std::size_t i = 0;
    for (auto _ : state) {
        location loc = cache.locate(f.probes[i], f.db.get(), f.map);
        benchmark::DoNotOptimize(loc);
        if (++i == clients) i = 0;
    }
    state.counters["hit_rate"] = static_cast<double>(cache.stats().hits) /
                                 static_cast<double>(cache.stats().hits + cache.stats().misses);
}
BENCHMARK(bm_geo_cache_warm)->Arg(1)->Arg(256)->Arg(1024)->Arg(2048);

// Every client new: each lookup misses the cache (65,536 distinct clients cycling through a
// 4096-entry cache), so this is the walk plus the cache's own overhead.
void bm_geo_cache_cold(benchmark::State& state) {
    auto& f = fx();
    lookup_cache cache(4096);
    std::size_t i = 0;
    for (auto _ : state) {
        location loc = cache.locate(f.probes[i++ & 0xffff], f.db.get(), f.map);
        benchmark::DoNotOptimize(loc);
    }
    state.counters["hit_rate"] = static_cast<double>(cache.stats().hits) /
                                 static_cast<double>(cache.stats().hits + cache.stats().misses);
}
BENCHMARK(bm_geo_cache_cold);

}  // namespace
