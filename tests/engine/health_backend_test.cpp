// One backend's effective health (engine/health/backend_health): active check AND not ejected,
// a passing check ending an ejection, and the slow-start ramp after every return to service,
// on a simulated clock.

#include <catch2/catch.hpp>

#include "engine/health/backend_health.hpp"
#include "routing/health_view.hpp"

using namespace edge::engine::health;
using edge::routing::health_view;
using edge::routing::level_share;

namespace {

constexpr std::uint64_t ramp = 10000;

check_timing timing() {
    check_timing t;
    t.rise = 2;
    t.fall = 3;
    return t;
}

}  // namespace

TEST_CASE("a new backend serves at full weight on the operator's word", "[health]") {
    backend_health h;
    CHECK(h.in_service());
    CHECK(h.level(12345, ramp) == health_view::full);
}

TEST_CASE("down after fall checks, up after rise, then ramping to full weight", "[health]") {
    backend_health h;
    auto t = timing();
    std::uint64_t now = 1000;
    CHECK(h.on_check(false, now += 2000, t) == service_change::none);
    CHECK(h.on_check(false, now += 500, t) == service_change::none);
    CHECK(h.on_check(false, now += 500, t) == service_change::went_down);
    CHECK_FALSE(h.in_service());
    CHECK(h.level(now, ramp) == health_view::out);
    CHECK(h.on_check(true, now += 4000, t) == service_change::none);
    CHECK(h.level(now, ramp) == health_view::out);
    CHECK(h.on_check(true, now += 500, t) == service_change::went_up);
    const std::uint64_t back = now;
    CHECK(h.in_service());
    CHECK(h.ramping(now, ramp));
    CHECK(h.level(now, ramp) == health_view::slowest);
    // The share grows with time, and is whole once the ramp is over.
    std::uint32_t quarter = level_share(h.level(back + ramp / 4, ramp));
    std::uint32_t half = level_share(h.level(back + ramp / 2, ramp));
    CHECK(quarter == Approx(256 / 4).margin(3));
    CHECK(half == Approx(256 / 2).margin(3));
    CHECK(h.level(back + ramp, ramp) == health_view::full);
    CHECK_FALSE(h.ramping(back + ramp, ramp));
    // No slow start configured: full weight at once.
    CHECK(h.level(back, 0) == health_view::full);
}

TEST_CASE("an ejection takes a backend out until its time runs out", "[health]") {
    backend_health h;
    ejection_policy p{1000, 300000, 50};
    std::uint64_t now = 50000;
    CHECK(h.eject(now, p) == 1000);
    CHECK_FALSE(h.in_service());
    CHECK(h.level(now, ramp) == health_view::out);
    CHECK(h.on_time(now + 999) == service_change::none);
    CHECK(h.on_time(now + 1000) == service_change::returned);
    CHECK(h.in_service());
    CHECK(h.level(now + 1000, ramp) == health_view::slowest);
}

TEST_CASE("a passing check ends an ejection at once", "[health]") {
    backend_health h;
    auto t = timing();
    h.eject(100, ejection_policy{30000, 300000, 50});
    CHECK(h.on_check(true, 600, t) == service_change::returned);
    CHECK(h.in_service());
    CHECK_FALSE(h.ejected());
}

TEST_CASE("an ejection that ends while the checks say down leaves it down", "[health]") {
    backend_health h;
    auto t = timing();
    h.eject(0, ejection_policy{1000, 300000, 50});
    for (int i = 0; i < 3; ++i)
        h.on_check(false, 100 + i, t);
    CHECK_FALSE(h.checks_up());
    CHECK(h.on_time(1000) == service_change::none);
    CHECK_FALSE(h.ejected());
    CHECK_FALSE(h.in_service());
    // Its checks bring it back, with slow start.
    h.on_check(true, 2000, t);
    CHECK(h.on_check(true, 2500, t) == service_change::went_up);
    CHECK(h.level(2500, ramp) == health_view::slowest);
}

TEST_CASE("checks passing while ejected end the ejection, failing ones do not", "[health]") {
    backend_health h;
    auto t = timing();
    h.eject(0, ejection_policy{60000, 300000, 50});
    CHECK(h.on_check(false, 10, t) == service_change::none);
    CHECK(h.ejected());
}
