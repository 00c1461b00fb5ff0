// backend_registry: stable slots, shared state that outlives snapshots, reuse only after
// collect() proves no worker can see the old id and its live count is 0, bounded capacity.

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <set>

#include "routing/registry.hpp"

using namespace edge::routing;

namespace {

// acquire() for a test that expects it to succeed.
slot_assignment take(backend_registry& reg, std::string_view id, std::uint64_t version) {
    auto r = reg.acquire(id, version);
    REQUIRE(r.has_value());
    return *r;
}

}  // namespace

TEST_CASE("an id keeps its slot and shared state across builds", "[registry]") {
    backend_registry reg;
    auto v1 = reg.begin_build();
    auto a1 = reg.acquire("a", v1);
    auto b1 = reg.acquire("b", v1);
    REQUIRE(a1.has_value());
    REQUIRE(b1.has_value());
    CHECK(a1->slot != b1->slot);
    auto v2 = reg.begin_build();
    CHECK(v2 > v1);
    auto a2 = reg.acquire("a", v2);
    CHECK(a2->slot == a1->slot);
    CHECK(a2->generation == a1->generation);
    CHECK(a2->shared == a1->shared);
    CHECK(&reg.shared(a1->slot) == a1->shared);
    CHECK(reg.size() == 2);
    CHECK(reg.slot_high_water() == 2);
}

TEST_CASE("a slot is freed only after the acknowledged snapshot lacks the id", "[registry]") {
    backend_registry reg;
    auto v1 = reg.begin_build();
    auto a = *reg.acquire("a", v1);
    take(reg, "b", v1);
    auto v2 = reg.begin_build();  // 'a' removed from the table
    take(reg, "b", v2);
    // Workers still on v1: nothing may be freed yet.
    CHECK(reg.collect(v1) == 0);
    auto c = *reg.acquire("c", v2);
    CHECK(c.slot != a.slot);
    // All workers acknowledged v2, but a connection on 'a' is still open.
    a.shared->live = 1;
    CHECK(reg.collect(v2) == 0);
    CHECK(reg.find("a").has_value());
    a.shared->live = 0;
    CHECK(reg.collect(v2) == 1);
    CHECK_FALSE(reg.find("a").has_value());
    // The freed slot is reused, with a new generation.
    auto v3 = reg.begin_build();
    auto d = *reg.acquire("d", v3);
    CHECK(d.slot == a.slot);
    CHECK(d.generation != a.generation);
    CHECK(d.shared == a.shared);
    CHECK(reg.slot_high_water() == 3);
}

TEST_CASE("ids named by a later, unacknowledged build are kept", "[registry]") {
    backend_registry reg;
    auto v1 = reg.begin_build();
    take(reg, "a", v1);
    auto v2 = reg.begin_build();
    (void)v2;  // a build without 'a' (published, acknowledged below)
    auto v3 = reg.begin_build();
    take(reg, "a", v3);  // 'a' is back in a build not yet acknowledged
    CHECK(reg.collect(v2) == 0);
    CHECK(reg.find("a").has_value());
}

TEST_CASE("a returning id after collection gets a fresh generation", "[registry]") {
    backend_registry reg;
    auto a1 = *reg.acquire("a", reg.begin_build());
    auto v2 = reg.begin_build();
    CHECK(reg.collect(v2) == 1);
    auto a2 = *reg.acquire("a", reg.begin_build());
    CHECK(a2.slot == a1.slot);
    CHECK(a2.generation != a1.generation);
}

TEST_CASE("capacity bounds the ids held at once", "[registry]") {
    backend_registry reg(3);
    CHECK(reg.capacity() == 3);
    auto v = reg.begin_build();
    std::set<std::uint32_t> slots;
    for (const char* id : {"a", "b", "c"})
        slots.insert(reg.acquire(id, v)->slot);
    CHECK(slots.size() == 3);
    auto full = reg.acquire("d", v);
    REQUIRE_FALSE(full.has_value());
    CHECK(full.error() == registry_error::full);
    CHECK(reg.acquire("a", v).has_value());  // known ids still resolve
    auto v2 = reg.begin_build();
    take(reg, "a", v2);
    CHECK(reg.collect(v2) == 2);
    CHECK(reg.acquire("d", v2).has_value());
    CHECK(reg.slot_high_water() == 3);
}

TEST_CASE("shared state addresses stay put as the registry grows", "[registry]") {
    backend_registry reg;
    auto v = reg.begin_build();
    auto first = *reg.acquire("id-0", v);
    for (int i = 1; i < 5000; ++i)
        take(reg, fmt::format("id-{}", i), v);
    CHECK(reg.find("id-0")->shared == first.shared);
    CHECK(reg.slot_high_water() == 5000);
    CHECK(reinterpret_cast<std::uintptr_t>(first.shared) % 64 == 0);
}
