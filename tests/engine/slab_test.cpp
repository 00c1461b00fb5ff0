#include <catch2/catch.hpp>

#include <set>

#include "engine/uring/slab.hpp"

using namespace edge::engine;

namespace {
struct record {
    int value = 42;
};
}  // namespace

TEST_CASE("slab hands out slots up to its capacity, then npos") {
    auto s = slab<record>::create(4);
    REQUIRE(s.has_value());
    std::set<std::uint32_t> got;
    for (int i = 0; i < 4; ++i) {
        std::uint32_t idx = s->alloc();
        REQUIRE(idx != slab<record>::npos);
        CHECK((*s)[idx].value == 42);
        got.insert(idx);
    }
    CHECK(got.size() == 4);
    CHECK(s->used() == 4);
    CHECK(s->alloc() == slab<record>::npos);
}

TEST_CASE("slab reuses the most recently freed slot with a new generation") {
    auto s = slab<record>::create(16);
    REQUIRE(s.has_value());
    std::uint32_t a = s->alloc();
    std::uint32_t b = s->alloc();
    std::uint32_t gen_a = s->generation(a);
    CHECK(s->is_current(a, gen_a));
    (*s)[a].value = 7;
    s->free(a);
    CHECK_FALSE(s->in_use(a));
    CHECK_FALSE(s->is_current(a, gen_a));  // a late completion for the old occupant is stale
    std::uint32_t c = s->alloc();
    CHECK(c == a);
    CHECK((*s)[c].value == 42);  // constructed afresh
    CHECK(s->generation(c) != gen_a);
    CHECK(s->is_current(c, s->generation(c)));
    CHECK(s->in_use(b));
    CHECK(s->used() == 2);
}

TEST_CASE("slab capacity costs no memory until used") {
    // A million records of 4 KiB would be 4 GiB if touched; reserving them must succeed.
    struct big {
        char bytes[4096];
    };
    auto s = slab<big>::create(1u << 20);
    REQUIRE(s.has_value());
    std::uint32_t idx = s->alloc();
    CHECK(idx == 0);
}
