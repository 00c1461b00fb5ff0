// The score of design §5 and select_backend: tiers, zero-value rules, hard_limit, skip list,
// tie spreading, and bound_backend for affinity.

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <limits>
#include <map>
#include <vector>

#include "routing/select.hpp"
#include "tests/routing/snapshot_fixture.hpp"

using namespace edge::routing;
using edge::routing::test::backend_spec;
using edge::routing::test::client;
using edge::routing::test::make_backend;
using edge::routing::test::make_snapshot;

namespace {

const edge::geo::region_code pop_sa = *edge::geo::region_code::parse("sa");

std::string pick(const snapshot& s, const edge::geo::location& c,
                 const std::vector<std::uint32_t>& live = {},
                 const std::vector<std::uint32_t>& skip = {}) {
    selection_state rng(12345);
    const backend* b = select_backend(s, c, live, skip, rng);
    return b ? b->id : "(none)";
}

}  // namespace

TEST_CASE("tier of each geo relation", "[select]") {
    backend b = make_backend({.id = "x", .region = "sa", .country = "BR"});
    CHECK(tier(b, client("BR", "sa"), pop_sa) == 0);
    CHECK(tier(b, client("br", "SA"), pop_sa) == 0);
    CHECK(tier(b, client("AR", "sa"), pop_sa) == 1);
    CHECK(tier(b, client("US", "us"), pop_sa) == 2);
    CHECK(tier(b, client("US", "us"), *edge::geo::region_code::parse("eu")) == 3);
    CHECK(tier(b, client("", ""), pop_sa) == 2);
    // A backend of unknown country never matches a client of unknown country.
    backend nc = make_backend({.id = "y", .region = "eu"});
    CHECK(tier(nc, client("", ""), pop_sa) == 3);
    CHECK(tier(nc, client("", "eu"), pop_sa) == 1);
}

TEST_CASE("score is 100·tier + (c / soft) / weight", "[select]") {
    backend b =
        make_backend({.id = "x", .region = "sa", .country = "BR", .weight = 4, .soft_limit = 10});
    CHECK(score(b, client("BR", "sa"), pop_sa, 0) == 0.0);
    CHECK(score(b, client("BR", "sa"), pop_sa, 20) == Approx(0.5));
    CHECK(score(b, client("AR", "sa"), pop_sa, 20) == Approx(100.5));
    CHECK(score(b, client("US", "us"), pop_sa, 40) == Approx(201.0));
    CHECK(score(b, client("US", "us"), *edge::geo::region_code::parse("eu"), 0) == 300.0);
    // weight 0 and soft_limit 0 count as 1.
    backend z = b;
    z.weight = 0;
    z.soft_limit = 0;
    CHECK(score(z, client("BR", "sa"), pop_sa, 3) == 3.0);
}

TEST_CASE("every tier wins over the next when loads are equal", "[select]") {
    backend_registry reg;
    auto s = make_snapshot(reg,
                           {{.id = "other", .region = "ap", .country = "JP"},
                            {.id = "pop", .region = "sa", .country = "CL"},
                            {.id = "region", .region = "eu", .country = "FR"},
                            {.id = "country", .region = "af", .country = "DE"}},
                           "sa");
    CHECK(pick(*s, client("DE", "eu")) == "country");
    CHECK(pick(*s, client("IT", "eu")) == "region");
    CHECK(pick(*s, client("US", "us")) == "pop");
    CHECK(pick(*s, client("", "")) == "pop");
    auto far = make_snapshot(reg, {{.id = "other", .region = "ap", .country = "JP"}}, "sa");
    CHECK(pick(*far, client("US", "us")) == "other");
}

TEST_CASE("load moves traffic only within a tier unless it exceeds 100", "[select]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "br", .region = "sa", .country = "BR", .soft_limit = 10},
                                 {.id = "ar", .region = "sa", .country = "AR", .soft_limit = 10}});
    std::vector<std::uint32_t> live(s->slot_capacity, 0);
    auto slot_of = [&](const char* id) {
        for (auto& b : s->backends)
            if (b.id == id) return b.slot;
        return 0u;
    };
    live[slot_of("br")] = 900;  // load 90: still tier 0 + 90 < tier 1 + 0
    CHECK(pick(*s, client("BR", "sa"), live) == "br");
    live[slot_of("br")] = 1010;  // load 101 > 100: the tier-1 backend scores lower
    CHECK(pick(*s, client("BR", "sa"), live) == "ar");
}

TEST_CASE("weight and soft_limit scale the load term; zeros count as 1", "[select]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "w1", .weight = 1, .soft_limit = 0},
                                 {.id = "w3", .weight = 3, .soft_limit = 0},
                                 {.id = "w0", .weight = 0, .soft_limit = 0}});
    std::vector<std::uint32_t> live(s->slot_capacity, 0);
    for (auto& b : s->backends)
        live[b.slot] = 6;
    // scores: w1 = 6, w3 = 2, w0 = 6 (weight 0 → 1)
    CHECK(pick(*s, client("", ""), live) == "w3");
    for (auto& b : s->backends)
        live[b.slot] = b.id == "w3" ? 19 : 6;  // w3 = 6.33
    std::string p = pick(*s, client("", ""), live);
    CHECK((p == "w1" || p == "w0"));
}

TEST_CASE("hard_limit: 0 is unlimited; at the limit a backend is passed over", "[select]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "limited", .country = "BR", .hard_limit = 2},
                                 {.id = "unlimited", .country = "AR", .hard_limit = 0}});
    const backend& lim = s->backends[0];
    const backend& unl = s->backends[1];
    CHECK(pick(*s, client("BR", "sa")) == "limited");
    lim.shared->live = 2;
    CHECK(pick(*s, client("BR", "sa")) == "unlimited");
    unl.shared->live = 1'000'000;
    CHECK(pick(*s, client("AR", "sa")) == "unlimited");
    lim.shared->live = 1;
    CHECK(pick(*s, client("BR", "sa")) == "limited");
    lim.shared->live = 0;
    unl.shared->live = 0;
}

TEST_CASE("unhealthy and draining backends are not chosen; none left gives nullptr", "[select]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "sick", .country = "BR", .healthy = false},
                                 {.id = "drain", .country = "BR", .draining = true},
                                 {.id = "far", .region = "ap"}});
    CHECK(pick(*s, client("BR", "sa")) == "far");
    auto none = make_snapshot(reg, {{.id = "sick", .healthy = false}});
    CHECK(pick(*none, client("BR", "sa")) == "(none)");
    auto empty = make_snapshot(reg, {});
    CHECK(pick(*empty, client("BR", "sa")) == "(none)");
}

TEST_CASE("the skip list passes over backends already tried", "[select]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "best", .country = "BR"},
                                 {.id = "second", .region = "sa"},
                                 {.id = "third", .region = "ap"}});
    std::vector<std::uint32_t> skip{s->backends[0].slot};
    CHECK(pick(*s, client("BR", "sa"), {}, skip) == "second");
    skip.push_back(s->backends[1].slot);
    CHECK(pick(*s, client("BR", "sa"), {}, skip) == "third");
    skip.push_back(s->backends[2].slot);
    CHECK(pick(*s, client("BR", "sa"), {}, skip) == "(none)");
}

TEST_CASE("ties are spread evenly across the tied backends", "[select]") {
    backend_registry reg;
    std::vector<backend_spec> specs;
    for (int i = 0; i < 5; ++i)
        specs.push_back({.id = fmt::format("t{}", i), .country = "BR"});
    specs.push_back({.id = "worse", .region = "eu"});
    auto s = make_snapshot(reg, specs);
    std::map<std::string, int> hits;
    selection_state rng(1);
    const int n = 50'000;
    for (int i = 0; i < n; ++i) {
        const backend* b = select_backend(*s, client("BR", "sa"), {}, {}, rng);
        REQUIRE(b != nullptr);
        ++hits[b->id];
    }
    CHECK(hits.count("worse") == 0);
    REQUIRE(hits.size() == 5);
    // Chi-square against uniform, 4 degrees of freedom: 18.47 is the 0.1 % critical value.
    double expected = n / 5.0, chi2 = 0;
    for (auto& [id, h] : hits)
        chi2 += (h - expected) * (h - expected) / expected;
    CHECK(chi2 < 18.47);
}

TEST_CASE("ties with a skipped or full backend spread over the rest", "[select]") {
    backend_registry reg;
    auto s =
        make_snapshot(reg, {{.id = "a", .hard_limit = 1}, {.id = "b"}, {.id = "c"}, {.id = "d"}});
    s->backends[0].shared->live = 1;
    std::vector<std::uint32_t> skip{s->backends[3].slot};
    std::map<std::string, int> hits;
    selection_state rng(99);
    for (int i = 0; i < 20'000; ++i)
        ++hits[select_backend(*s, client("", ""), {}, skip, rng)->id];
    CHECK(hits.size() == 2);
    CHECK(hits["b"] > 9'000);
    CHECK(hits["c"] > 9'000);
    s->backends[0].shared->live = 0;
}

namespace {

// Picks `n` times for an idle, country-less client and counts where each pick went.
std::map<std::string, int> spread(const snapshot& s, int n, selection_state& state,
                                  std::vector<std::uint32_t>* live = nullptr) {
    std::map<std::string, int> hits;
    for (int i = 0; i < n; ++i) {
        const backend* b = select_backend(s, client("", ""),
                                          live ? *live : std::vector<std::uint32_t>{}, {}, state);
        REQUIRE(b != nullptr);
        ++hits[b->id];
        if (live) ++(*live)[b->slot];
    }
    return hits;
}

}  // namespace

TEST_CASE("ties are shared in proportion to weight, exactly to within a couple",
          "[select][weight]") {
    backend_registry reg;
    auto s = make_snapshot(
        reg, {{.id = "w1", .weight = 1}, {.id = "w2", .weight = 2}, {.id = "w7", .weight = 7}});
    selection_state state(3);
    auto hits = spread(*s, 1000, state);
    CHECK(std::abs(hits["w1"] - 100) <= 2);
    CHECK(std::abs(hits["w2"] - 200) <= 2);
    CHECK(std::abs(hits["w7"] - 700) <= 2);
    // The operator's case of issue 14: weights 2 and 10, 40 short connections → about 7 and 33
    // (an even spread gave 21/19).
    auto two = make_snapshot(reg, {{.id = "light", .weight = 2}, {.id = "heavy", .weight = 10}});
    selection_state fresh(0);
    auto split = spread(*two, 40, fresh);
    CHECK(split["light"] >= 5);
    CHECK(split["light"] <= 8);
    CHECK(split["light"] + split["heavy"] == 40);
}

TEST_CASE("two workers, each with its own state, add up to the weights", "[select][weight]") {
    backend_registry reg;
    auto s = make_snapshot(
        reg, {{.id = "w1", .weight = 1}, {.id = "w2", .weight = 2}, {.id = "w7", .weight = 7}});
    selection_state w0(0), w1(1);
    std::map<std::string, int> total;
    // Connections land on the workers unevenly, as the kernel's hash spreads them.
    for (int i = 0; i < 1000; ++i) {
        selection_state& st = (i * 7919 % 13) < 6 ? w0 : w1;
        ++total[select_backend(*s, client("", ""), {}, {}, st)->id];
    }
    CHECK(std::abs(total["w1"] - 100) <= 4);
    CHECK(std::abs(total["w2"] - 200) <= 4);
    CHECK(std::abs(total["w7"] - 700) <= 4);
}

TEST_CASE("weight 0 counts as 1 when ties are shared", "[select][weight]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "zero", .weight = 0}, {.id = "one", .weight = 1}});
    selection_state state(5);
    auto hits = spread(*s, 100, state);
    CHECK(std::abs(hits["zero"] - 50) <= 1);
    CHECK(std::abs(hits["one"] - 50) <= 1);
}

TEST_CASE("held connections split by weight: the score and the ties agree", "[select][weight]") {
    // Each pick stays open (the worker's live count grows), so scores separate and ties recur
    // whenever live/(soft·weight) is equal: 60 held with weights 2:10 end at 10/50.
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "light", .weight = 2, .soft_limit = 100},
                                 {.id = "heavy", .weight = 10, .soft_limit = 100}});
    std::vector<std::uint32_t> live(s->slot_capacity, 0);
    selection_state state(2);
    auto hits = spread(*s, 60, state, &live);
    CHECK(hits["light"] == 10);
    CHECK(hits["heavy"] == 50);
    auto three = make_snapshot(reg, {{.id = "w1", .weight = 1, .soft_limit = 100},
                                     {.id = "w2", .weight = 2, .soft_limit = 100},
                                     {.id = "w7", .weight = 7, .soft_limit = 100}});
    std::vector<std::uint32_t> live3(three->slot_capacity, 0);
    auto held = spread(*three, 3000, state, &live3);
    CHECK(std::abs(held["w1"] - 300) <= 3);
    CHECK(std::abs(held["w2"] - 600) <= 3);
    CHECK(std::abs(held["w7"] - 2100) <= 3);
}

TEST_CASE("a weighted tie among more backends than are tracked keeps the proportion",
          "[select][weight]") {
    backend_registry reg;
    std::vector<backend_spec> specs;
    for (int i = 0; i < 300; ++i)  // 200 of weight 1 and 100 of weight 3: 40 % and 60 %
        specs.push_back({.id = fmt::format("b{}", i), .weight = i % 3 == 0 ? 3u : 1u});
    auto s = make_snapshot(reg, specs);
    selection_state state(9);
    auto hits = spread(*s, 50'000, state);
    int heavy = 0;
    for (auto& [id, h] : hits)
        heavy += std::stoi(id.substr(1)) % 3 == 0 ? h : 0;
    CHECK(std::abs(heavy - 30'000) < 300);
    CHECK(hits.size() == 300);
}

TEST_CASE("the worker's own live counts steer selection", "[select]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "a"}, {.id = "b"}});
    std::vector<std::uint32_t> live(s->slot_capacity, 0);
    selection_state rng(7);
    // Reserving on each pick and counting locally alternates between equal backends.
    for (int i = 0; i < 100; ++i) {
        const backend* b = select_backend(*s, client("", ""), live, {}, rng);
        ++live[b->slot];
    }
    CHECK(live[s->backends[0].slot] == 50);
    CHECK(live[s->backends[1].slot] == 50);
    // A live array shorter than slot_capacity reads as zeros.
    std::vector<std::uint32_t> short_live;
    CHECK(select_backend(*s, client("", ""), short_live, {}, rng) != nullptr);
}

TEST_CASE("select_backend agrees with score() on random tables", "[select]") {
    // A property test against the reference rule: the chosen backend is eligible and no eligible
    // backend scores lower. Loads reach past 100 and 200 so that tiers overlap, some regions and
    // the POP's region have no backends, and countries repeat across regions.
    static const char* regions[] = {"sa", "us", "eu", "ap", "mars"};
    static const char* countries[] = {"", "BR", "AR", "US", "DE", "JP"};
    std::uint32_t seed = 2024;
    auto rnd = [&](std::uint32_t n) {
        seed = seed * 1664525u + 1013904223u;
        return (seed >> 8) % n;
    };
    for (int round = 0; round < 3000; ++round) {
        backend_registry reg;
        std::vector<backend_spec> specs;
        int n = 1 + static_cast<int>(rnd(round % 2 ? 12 : 60));
        for (int i = 0; i < n; ++i) {
            specs.push_back({.id = fmt::format("b{}", i),
                             .region = regions[rnd(4)],
                             .country = countries[rnd(6)],
                             .weight = rnd(3),
                             .soft_limit = rnd(3),
                             .hard_limit = rnd(4) == 0 ? 1 + rnd(3) : 0,
                             .healthy = rnd(8) != 0,
                             .draining = rnd(10) == 0});
        }
        auto s = make_snapshot(reg, specs, regions[rnd(5)]);
        std::vector<std::uint32_t> live(s->slot_capacity);
        for (auto& x : live)
            x = rnd(4) == 0 ? rnd(700) : rnd(5);
        for (const auto& b : s->backends)
            b.shared->live = rnd(4);
        std::vector<std::uint32_t> skip;
        for (int i = 0; i < 3; ++i)
            if (rnd(2)) skip.push_back(s->backends[rnd(static_cast<std::uint32_t>(n))].slot);
        auto c = client(countries[rnd(6)], rnd(5) ? regions[rnd(5)] : "");

        auto eligible = [&](const backend& b) {
            bool skipped = std::find(skip.begin(), skip.end(), b.slot) != skip.end();
            bool full = b.hard_limit != 0 && b.shared->live.load() >= b.hard_limit;
            return b.healthy && !b.draining && !skipped && !full;
        };
        double best = std::numeric_limits<double>::infinity();
        for (const auto& b : s->backends)
            if (eligible(b)) best = std::min(best, score(b, c, s->pop_region, live[b.slot]));
        selection_state rng(static_cast<std::uint32_t>(round) + 1);
        const backend* got = select_backend(*s, c, live, skip, rng);
        if (best == std::numeric_limits<double>::infinity()) {
            CHECK(got == nullptr);
            continue;
        }
        REQUIRE(got != nullptr);
        CHECK(eligible(*got));
        CHECK(score(*got, c, s->pop_region, live[got->slot]) == best);
        for (const auto& b : s->backends)
            b.shared->live = 0;
    }
}

TEST_CASE("a tie spanning tiers counts each backend once", "[select]") {
    // Client BR/sa: two loaded BR backends (tier 0, score 150) tie with an idle-enough AR one in
    // the same region (tier 1, score 100 + 50). The region scan must not count the BR ones again.
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "br1", .region = "sa", .country = "BR"},
                                 {.id = "br2", .region = "sa", .country = "BR"},
                                 {.id = "ar", .region = "sa", .country = "AR"}});
    std::vector<std::uint32_t> live(s->slot_capacity);
    live[s->backends[0].slot] = 150;
    live[s->backends[1].slot] = 150;
    live[s->backends[2].slot] = 50;
    std::map<std::string, int> hits;
    selection_state rng(11);
    const int n = 30'000;
    for (int i = 0; i < n; ++i)
        ++hits[select_backend(*s, client("BR", "sa"), live, {}, rng)->id];
    REQUIRE(hits.size() == 3);
    for (auto& [id, h] : hits)
        CHECK(std::abs(h - n / 3) < 600);  // 1/3 each, not 2/5 2/5 1/5
}

TEST_CASE("a tie among hundreds of backends is still spread over all of them", "[select]") {
    backend_registry reg;
    std::vector<backend_spec> specs;
    for (int i = 0; i < 300; ++i)
        specs.push_back({.id = fmt::format("t{}", i), .region = "eu"});
    auto s = make_snapshot(reg, specs, "sa");
    std::map<std::string, int> hits;
    selection_state rng(5);
    for (int i = 0; i < 60'000; ++i)
        ++hits[select_backend(*s, client("", ""), {}, {}, rng)->id];
    REQUIRE(hits.size() == 300);
    int lo = 1 << 30, hi = 0;
    for (auto& [id, h] : hits) {
        lo = std::min(lo, h);
        hi = std::max(hi, h);
    }
    // 200 expected each; a binomial's 5-sigma band is about ±70.
    CHECK(lo > 120);
    CHECK(hi < 280);
}

TEST_CASE("bound_backend follows slot and generation, healthy only", "[select]") {
    backend_registry reg;
    auto s1 = make_snapshot(reg, {{.id = "a"}, {.id = "b", .draining = true}});
    const backend& a = s1->backends[0];
    const backend& b = s1->backends[1];
    CHECK(bound_backend(*s1, a.slot, a.generation) == &a);
    CHECK(bound_backend(*s1, b.slot, b.generation) == &b);  // draining keeps its clients
    CHECK(bound_backend(*s1, a.slot, a.generation + 1) == nullptr);
    CHECK(bound_backend(*s1, 1000, 1) == nullptr);
    auto s2 = make_snapshot(reg, {{.id = "a", .healthy = false}});
    CHECK(bound_backend(*s2, a.slot, a.generation) == nullptr);  // unhealthy
    CHECK(bound_backend(*s2, b.slot, b.generation) == nullptr);  // removed
}
