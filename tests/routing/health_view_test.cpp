// Selection with the health checker's view (routing/health_view.hpp): out-of-service backends
// are passed over and their tier spills to the next, slow start scales a backend's share, the
// panic rule when nothing is in service, and bound clients of a backend gone down move.

#include <catch2/catch.hpp>
#include <map>
#include <vector>

#include "routing/health_view.hpp"
#include "routing/select.hpp"
#include "tests/routing/snapshot_fixture.hpp"

using namespace edge::routing;
using edge::routing::test::client;
using edge::routing::test::make_snapshot;

namespace {

std::uint32_t slot_of(const snapshot& s, const std::string& id) {
    for (const backend& b : s.backends)
        if (b.id == id) return b.slot;
    FAIL("no backend " << id);
    return 0;
}

// How many of n short-lived connections (no live counts: every score ties) each backend gets.
std::map<std::string, int> split(const snapshot& s, const health_view& v, int n,
                                 const edge::geo::location& where = client("BR", "sa")) {
    selection_state st(7);
    std::map<std::string, int> got;
    for (int i = 0; i < n; ++i) {
        const backend* b = select_backend(s, where, {}, {}, st, &v);
        got[b ? b->id : "(none)"]++;
    }
    return got;
}

}  // namespace

TEST_CASE("a fresh view changes nothing: every backend is in service at full weight",
          "[health_view]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "a", .country = "BR"}, {.id = "b", .country = "BR"}});
    health_view v(reg.capacity(), panic_rule::fail_open);
    auto got = split(*s, v, 1000);
    CHECK(got["a"] == 500);
    CHECK(got["b"] == 500);
    CHECK(v.level(reg.capacity() + 5) == health_view::full);  // beyond the capacity: no opinion
}

TEST_CASE("an out-of-service backend gets no new client; its tier spills to the next",
          "[health_view]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "br1", .country = "BR"},
                                 {.id = "br2", .country = "BR"},
                                 {.id = "ar", .region = "sa", .country = "AR"}});
    health_view v(reg.capacity(), panic_rule::fail_open);
    v.set(slot_of(*s, "br1"), health_view::out);
    auto got = split(*s, v, 100);
    CHECK(got["br2"] == 100);  // the rest of the best tier takes everything
    // The whole country down: the client's region (tier 1) serves, not the panic rule.
    v.set(slot_of(*s, "br2"), health_view::out);
    got = split(*s, v, 100);
    CHECK(got["ar"] == 100);
    CHECK(got.count("br1") == 0);
}

TEST_CASE("slow start: a backend's share of ties follows its level", "[health_view]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "old", .country = "BR"}, {.id = "new", .country = "BR"}});
    health_view v(reg.capacity(), panic_rule::fail_open);
    // At a quarter of its weight: 1 : 4 → 20 %.
    v.set(slot_of(*s, "new"), 192);
    auto got = split(*s, v, 1000);
    CHECK(got["new"] == Approx(200).margin(3));
    // The deepest level: 2/256 of its weight.
    v.set(slot_of(*s, "new"), health_view::slowest);
    got = split(*s, v, 1000);
    CHECK(got["new"] == Approx(1000.0 * 2 / 258).margin(2));
    CHECK(got["new"] >= 1);
}

TEST_CASE("slow start also weighs a backend's load: it looks as loaded as its share is small",
          "[health_view]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "a", .country = "BR", .soft_limit = 10},
                                 {.id = "b", .country = "BR", .soft_limit = 10}});
    health_view v(reg.capacity(), panic_rule::fail_open);
    std::vector<std::uint32_t> live(s->slot_capacity, 0);
    live[slot_of(*s, "a")] = 4;  // 0.4 of its capacity
    live[slot_of(*s, "b")] = 1;  // 0.1, but at a quarter of its weight: 0.4 …
    v.set(slot_of(*s, "b"), 192);
    selection_state st(1);
    // … so they tie, and b then gets a fifth of the ties.
    int b = 0;
    for (int i = 0; i < 100; ++i)
        b += select_backend(*s, client("BR", "sa"), live, {}, st, &v)->id == "b";
    CHECK(b == Approx(20).margin(2));
    live[slot_of(*s, "b")] = 2;  // 0.8 effective: a wins every time
    for (int i = 0; i < 10; ++i)
        CHECK(select_backend(*s, client("BR", "sa"), live, {}, st, &v)->id == "a");
}

TEST_CASE("panic: with nothing in service, fail open selects as if unchecked; closed selects none",
          "[health_view]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "a", .country = "BR", .weight = 1},
                                 {.id = "b", .country = "BR", .weight = 3},
                                 {.id = "x", .region = "eu", .healthy = false}});
    for (const char* id : {"a", "b"}) {
        SECTION(std::string("fail open, ") + id) {
            health_view v(reg.capacity(), panic_rule::fail_open);
            v.set(slot_of(*s, "a"), health_view::out);
            v.set(slot_of(*s, "b"), health_view::out);
            auto got = split(*s, v, 400);
            CHECK(got["a"] == Approx(100).margin(2));  // weights hold in panic too
            CHECK(got["b"] == Approx(300).margin(2));
            CHECK(got.count("x") == 0);  // the operator's healthy = 0 always holds
            // The skip list and hard limits still hold in panic.
            selection_state st(3);
            std::vector<std::uint32_t> skip = {slot_of(*s, id)};
            const backend* other = select_backend(*s, client("BR", "sa"), {}, skip, st, &v);
            REQUIRE(other != nullptr);
            CHECK(other->id != id);
        }
    }
    SECTION("fail closed") {
        health_view v(reg.capacity(), panic_rule::fail_closed);
        v.set(slot_of(*s, "a"), health_view::out);
        v.set(slot_of(*s, "b"), health_view::out);
        CHECK(split(*s, v, 10)["(none)"] == 10);
        v.set(slot_of(*s, "b"), health_view::full);
        CHECK(split(*s, v, 10)["b"] == 10);
    }
}

TEST_CASE("a bound client's backend out of service is no longer its binding", "[health_view]") {
    backend_registry reg;
    auto s = make_snapshot(reg, {{.id = "a", .country = "BR"}, {.id = "b", .country = "BR"}});
    health_view v(reg.capacity(), panic_rule::fail_open);
    const backend& a = s->backends[0];
    CHECK(bound_backend(*s, a.slot, a.generation, &v) == &a);
    v.set(a.slot, 100);  // slow start keeps it
    CHECK(bound_backend(*s, a.slot, a.generation, &v) == &a);
    v.set(a.slot, health_view::out);
    CHECK(bound_backend(*s, a.slot, a.generation, &v) == nullptr);
    CHECK(bound_backend(*s, a.slot, a.generation) == &a);  // without a view: as before
}

TEST_CASE("the slow-start ramp walks from 2/256 of the weight to all of it", "[health_view]") {
    CHECK(slow_start_level(0, 0) == health_view::full);
    CHECK(slow_start_level(5, 0) == health_view::full);
    CHECK(slow_start_level(0, 10000) == health_view::slowest);
    CHECK(slow_start_level(10000, 10000) == health_view::full);
    CHECK(slow_start_level(99999, 10000) == health_view::full);
    // Half way: about half the weight.
    CHECK(level_share(slow_start_level(5000, 10000)) == Approx(128).margin(2));
    // Never out of service, never down again once up.
    std::uint32_t last = 0;
    for (std::uint64_t t = 0; t <= 10000; t += 37) {
        std::uint8_t l = slow_start_level(t, 10000);
        CHECK(l != health_view::out);
        CHECK(level_share(l) >= last);
        last = level_share(l);
    }
}
