#include <catch2/catch.hpp>

#include <vector>

#include "engine/uring/timer_wheel.hpp"

using namespace edge::engine;

TEST_CASE("timers fire at their deadline, not before") {
    auto w = timer_wheel::create(100, 16);
    REQUIRE(w.has_value());
    w->advance(1000, [](std::uint32_t) {});
    w->schedule(1, 1005);
    w->schedule(2, 1003);
    std::vector<std::uint32_t> fired;
    w->advance(1002, [&](std::uint32_t id) { fired.push_back(id); });
    CHECK(fired.empty());
    w->advance(1003, [&](std::uint32_t id) { fired.push_back(id); });
    CHECK(fired == std::vector<std::uint32_t>{2});
    w->advance(1010, [&](std::uint32_t id) { fired.push_back(id); });
    CHECK(fired == std::vector<std::uint32_t>{2, 1});
    CHECK(w->size() == 0);
}

TEST_CASE("deadlines beyond one turn of the wheel wait for their turn") {
    auto w = timer_wheel::create(10, 8);
    REQUIRE(w.has_value());
    w->advance(0, [](std::uint32_t) {});
    w->schedule(3, 20);  // 2.5 turns away, same bucket as ticks 4 and 12
    int fired = 0;
    for (std::uint64_t t = 1; t < 20; ++t)
        w->advance(t, [&](std::uint32_t) { ++fired; });
    CHECK(fired == 0);
    w->advance(20, [&](std::uint32_t id) {
        CHECK(id == 3);
        ++fired;
    });
    CHECK(fired == 1);
}

TEST_CASE("cancel and reschedule") {
    auto w = timer_wheel::create(10, 8);
    REQUIRE(w.has_value());
    w->advance(0, [](std::uint32_t) {});
    w->schedule(1, 5);
    w->schedule(2, 5);
    w->cancel(1);
    CHECK_FALSE(w->is_scheduled(1));
    w->schedule(2, 7);  // rescheduling moves it
    std::vector<std::uint32_t> fired;
    w->advance(6, [&](std::uint32_t id) { fired.push_back(id); });
    CHECK(fired.empty());
    w->advance(7, [&](std::uint32_t id) { fired.push_back(id); });
    CHECK(fired == std::vector<std::uint32_t>{2});
}

TEST_CASE("an expiring timer may schedule itself again (idle re-check)") {
    auto w = timer_wheel::create(10, 8);
    REQUIRE(w.has_value());
    w->advance(0, [](std::uint32_t) {});
    w->schedule(4, 2);
    int count = 0;
    for (std::uint64_t t = 1; t <= 10; ++t)
        w->advance(t, [&](std::uint32_t id) {
            ++count;
            if (count < 3) w->schedule(id, t + 3);
        });
    CHECK(count == 3);  // ticks 2, 5 and 8
    CHECK(w->size() == 0);
}

TEST_CASE("a long pause fires everything that came due, once") {
    auto w = timer_wheel::create(100, 16);
    REQUIRE(w.has_value());
    w->advance(0, [](std::uint32_t) {});
    for (std::uint32_t i = 0; i < 50; ++i)
        w->schedule(i, 1 + i * 3);
    int fired = 0;
    w->advance(100000, [&](std::uint32_t) { ++fired; });
    CHECK(fired == 50);
}
