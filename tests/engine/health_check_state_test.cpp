// Active-check hysteresis (engine/health/check_state): rise and fall, a result against the state
// that does not repeat, and the interval chosen for the next check.

#include <catch2/catch.hpp>

#include "engine/health/check_state.hpp"

using namespace edge::engine::health;
using change = check_state::change;

TEST_CASE("an up backend goes down after fall failures in a row, not before", "[health]") {
    check_timing t;  // rise 2, fall 3
    check_state s;
    CHECK(s.up());
    CHECK(s.record(false, t) == change::none);
    CHECK(s.record(false, t) == change::none);
    CHECK(s.up());
    CHECK(s.in_row() == 2);
    CHECK(s.record(false, t) == change::went_down);
    CHECK_FALSE(s.up());
    CHECK(s.in_row() == 0);
}

TEST_CASE("a pass between failures starts the count again", "[health]") {
    check_timing t;
    check_state s;
    for (int round = 0; round < 5; ++round) {
        CHECK(s.record(false, t) == change::none);
        CHECK(s.record(false, t) == change::none);
        CHECK(s.record(true, t) == change::none);
    }
    CHECK(s.up());
}

TEST_CASE("a down backend comes up after rise passes in a row", "[health]") {
    check_timing t;
    t.rise = 3;
    t.fall = 1;
    check_state s;
    CHECK(s.record(false, t) == change::went_down);
    CHECK(s.record(true, t) == change::none);
    CHECK(s.record(true, t) == change::none);
    CHECK(s.record(false, t) == change::none);  // back to 0
    CHECK(s.record(true, t) == change::none);
    CHECK(s.record(true, t) == change::none);
    CHECK(s.record(true, t) == change::went_up);
    CHECK(s.up());
}

TEST_CASE("rise and fall of 0 count as 1", "[health]") {
    check_timing t;
    t.rise = 0;
    t.fall = 0;
    check_state s;
    CHECK(s.record(false, t) == change::went_down);
    CHECK(s.record(true, t) == change::went_up);
}

TEST_CASE("the next check: fast while changing, slower while down", "[health]") {
    check_timing t;
    t.interval_ms = 2000;
    t.fast_ms = 500;
    t.down_ms = 4000;
    check_state s;
    CHECK(s.next_interval_ms(t) == 2000);  // settled up
    s.record(false, t);
    CHECK(s.next_interval_ms(t) == 500);  // a first failure: find out fast
    s.record(false, t);
    s.record(false, t);
    CHECK_FALSE(s.up());
    CHECK(s.next_interval_ms(t) == 4000);  // settled down
    s.record(true, t);
    CHECK(s.next_interval_ms(t) == 500);  // a first pass: confirm fast
    s.record(true, t);
    CHECK(s.up());
    CHECK(s.next_interval_ms(t) == 2000);
}
