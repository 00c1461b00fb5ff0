// The check pacer (engine/health/pacer): after a stall, overdue checks start at no more than twice
// the table's rate, from a bucket of 20 ms of it; a simulated clock in milliseconds.

#include <catch2/catch.hpp>

#include "engine/health/pacer.hpp"

using namespace edge::engine::health;

TEST_CASE("a stall's overdue checks start at twice the table's rate, not at once", "[health]") {
    pacer p;
    p.set_rate(1000);  // 1,000 backends every second
    std::uint64_t now = 1000;
    // 600 checks overdue at once: the bucket's 20 start now …
    int started = 0;
    while (p.try_take(now))
        ++started;
    CHECK(started == 20);
    CHECK(p.wait_ms() >= 1);
    // … then two a millisecond.
    int later = 0;
    for (std::uint64_t t = now + 1; t <= now + 100; ++t)
        while (p.try_take(t))
            ++later;
    CHECK(later == Approx(200).margin(2));
}

TEST_CASE("a small table still starts a few at once; no rate set: no limit", "[health]") {
    pacer p;
    p.set_rate(2);
    int started = 0;
    while (p.try_take(5))
        ++started;
    CHECK(started == 8);
    pacer none;
    for (int i = 0; i < 10000; ++i)
        CHECK(none.try_take(1));
    CHECK(none.wait_ms() == 0);
}
