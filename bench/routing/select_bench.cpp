// select_backend among 10, 100 and 1,000 backends, as a worker runs it for each new connection:
// mixed regions and countries, the worker's own live counts, some hard limits, an empty skip list.
// The "all_tied" variant has every backend idle, equal and in one country, the worst case for tie
// spreading; "all_tied_weighted" the same with weights 1–4 (ties shared by weight); "health" with
// the health checker's view in force.

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "routing/address.hpp"
#include "routing/health_view.hpp"
#include "routing/registry.hpp"
#include "routing/select.hpp"
#include "routing/snapshot_build.hpp"

namespace {

using namespace edge::routing;

// `equal`: every backend idle, alike and in one country (all tie); `weighted`: the same with
// weights 1–4, so that ties are shared by weight.
snapshot_ptr make(backend_registry& reg, int n, bool equal, bool weighted = false) {
    static const char* regions[] = {"sa", "us", "eu", "ap", "af"};
    static const char* countries[] = {"BR", "AR", "US", "CA", "DE", "FR", "JP", "SG", "ZA", "NG"};
    snapshot_input in;
    in.pop_region = *edge::geo::region_code::parse("us");
    std::mt19937 rng(42);
    for (int i = 0; i < n; ++i) {
        backend b;
        b.id = "backend-" + std::to_string(i);
        int c = equal ? 0 : static_cast<int>(rng() % 10);
        b.country = *edge::geo::country_code::parse(countries[c]);
        b.region = *edge::geo::region_code::parse(regions[c / 2]);
        b.address = *edge::parse_ip_literal("10.0.0.1", static_cast<std::uint16_t>(1000 + i));
        b.weight = equal && !weighted ? 1 : 1 + rng() % 4;
        b.soft_limit = equal ? 100 : 50 + rng() % 200;
        b.hard_limit = (!equal && i % 4 == 0) ? 1000 : 0;
        in.backends.push_back(std::move(b));
    }
    std::vector<rejected_row> rejected;
    return build_snapshot(std::move(in), reg, rejected);
}

// `health`: with the health checker's view, as the proxy runs it: one backend in 16 out of
// service and one in 16 in slow start.
void run(benchmark::State& state, bool equal, bool weighted, bool health) {
    backend_registry reg;
    auto s = make(reg, static_cast<int>(state.range(0)), equal, weighted);
    health_view view(reg.capacity(), panic_rule::fail_open);
    for (const backend& b : s->backends) {
        if (b.slot % 16 == 3) view.set(b.slot, health_view::out);
        if (b.slot % 16 == 11) view.set(b.slot, 128);
    }
    std::vector<std::uint32_t> live(s->slot_capacity, 0);
    std::mt19937 rng(7);
    if (!equal)
        for (auto& x : live)
            x = rng() % 300;
    // Clients from different places, in an order the branch predictor cannot learn, as when
    // connections from everywhere arrive at one worker.
    static const char* places[][2] = {{"BR", "sa"}, {"AR", "sa"}, {"US", "us"}, {"CA", "us"},
                                      {"DE", "eu"}, {"FR", "eu"}, {"JP", "ap"}, {"SG", "ap"},
                                      {"ZA", "af"}, {"NG", "af"}, {"MX", "us"}, {"IT", "eu"},
                                      {"CL", "sa"}, {"IN", "ap"}, {"EG", "af"}, {"", ""}};
    edge::geo::location clients[16];
    for (int i = 0; i < 16; ++i) {
        if (*places[i][0]) clients[i].country = *edge::geo::country_code::parse(places[i][0]);
        if (*places[i][1]) clients[i].region = *edge::geo::region_code::parse(places[i][1]);
    }
    selection_state r(1);
    std::uint32_t pick = 12345;
    for (auto _ : state) {
        pick = pick * 1664525u + 1013904223u;
        const backend* b =
            select_backend(*s, clients[pick >> 28], live, {}, r, health ? &view : nullptr);
        benchmark::DoNotOptimize(b);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_select_backend(benchmark::State& state) {
    run(state, false, false, false);
}
void BM_select_backend_all_tied(benchmark::State& state) {
    run(state, true, false, false);
}
void BM_select_backend_all_tied_weighted(benchmark::State& state) {
    run(state, true, true, false);
}
void BM_select_backend_health(benchmark::State& state) {
    run(state, false, false, true);
}
void BM_select_backend_all_tied_health(benchmark::State& state) {
    run(state, true, false, true);
}

}  // namespace

BENCHMARK(BM_select_backend)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_select_backend_health)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_select_backend_all_tied_health)->Arg(100);
BENCHMARK(BM_select_backend_all_tied)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_select_backend_all_tied_weighted)->Arg(10)->Arg(100)->Arg(1000);
