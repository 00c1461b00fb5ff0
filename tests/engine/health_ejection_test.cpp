// Passive ejection (engine/health/ejection): each ejection longer than the last (base, 2·base,
// 3·base, at most the maximum), the multiplier forgiven a step per base time in service, and the
// cap on a pool's share ejected at once. Times are a simulated clock in milliseconds.

#include <catch2/catch.hpp>

#include "engine/health/ejection.hpp"

using namespace edge::engine::health;

TEST_CASE("the second ejection in a row lasts twice the first, the third three times", "[health]") {
    ejection_policy p{1000, 300000, 50};
    ejection_state e;
    std::uint64_t now = 10000;
    CHECK_FALSE(e.ejected());
    CHECK(e.eject(now, p) == 1000);
    CHECK(e.ejected());
    CHECK(e.until_ms() == 11000);
    CHECK_FALSE(e.expired(10999));
    CHECK(e.expired(11000));
    e.end(11000);
    CHECK_FALSE(e.ejected());
    // Ejected again at once: 2 × base.
    CHECK(e.eject(11010, p) == 2000);
    e.end(13010);
    CHECK(e.eject(13020, p) == 3000);
    CHECK(e.multiplier() == 3);
}

TEST_CASE("the ejection time never passes the maximum", "[health]") {
    ejection_policy p{1000, 2500, 50};
    ejection_state e;
    std::uint64_t now = 1;
    for (int i = 0; i < 10; ++i) {
        std::uint64_t len = e.eject(now, p);
        CHECK(len <= 2500);
        now += len;
        e.end(now);
    }
    CHECK(e.length_ms() == 2500);
    // A maximum below the base: the base.
    ejection_state f;
    CHECK(f.eject(5, ejection_policy{1000, 10, 50}) == 1000);
}

TEST_CASE("time in service forgives one step of the multiplier per base time", "[health]") {
    ejection_policy p{1000, 300000, 50};
    ejection_state e;
    e.eject(0, p);
    e.end(1000);
    e.eject(1000, p);  // ×2
    e.end(3000);
    e.eject(3000, p);  // ×3
    e.end(6000);
    // 2.5 base times in service: two steps forgiven, then this ejection counts one more: ×2.
    CHECK(e.eject(8500, p) == 2000);
    e.end(10500);
    // Long quiet: back to the base.
    CHECK(e.eject(1000000, p) == 1000);
}

TEST_CASE("ending an ejection that is not under way changes nothing", "[health]") {
    ejection_state e;
    e.end(500);
    CHECK_FALSE(e.ejected());
    CHECK(e.eject(600, ejection_policy{100, 1000, 50}) == 100);
}

TEST_CASE("the cap: a share of the pool, but at least one backend", "[health]") {
    CHECK(ejection_cap(0, 50) == 0);
    CHECK(ejection_cap(1, 50) == 1);
    CHECK(ejection_cap(3, 10) == 1);
    CHECK(ejection_cap(4, 50) == 2);
    CHECK(ejection_cap(5, 50) == 2);
    CHECK(ejection_cap(10, 100) == 10);
    CHECK(ejection_cap(10, 250) == 10);  // never more than the pool
    CHECK(ejection_cap(10, 0) == 1);
}
