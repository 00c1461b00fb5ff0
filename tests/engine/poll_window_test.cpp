// The busy-poll window (engine/host/poll_window.hpp): what a worker does between completions,
// fed the gaps a real load produces.

#include <catch2/catch.hpp>

#include "engine/host/poll_window.hpp"

using edge::engine::poll_window;

namespace {
constexpr std::uint64_t us = 1000;
}

TEST_CASE("a fixed window polls for its length and never changes") {
    poll_window w(50 * us, false);
    CHECK(w.poll(0));
    CHECK(w.poll(49 * us));
    CHECK_FALSE(w.poll(50 * us));
    for (std::uint64_t gap : {1 * us, 400 * us, 5'000'000 * us})
        w.on_gap(gap);
    CHECK(w.window_ns() == 50 * us);

    poll_window off;
    CHECK_FALSE(off.poll(0));
}

TEST_CASE("auto grows until it spans a steady load's gaps, so the worker stops sleeping") {
    poll_window w(1000 * us, true);
    CHECK(w.window_ns() == 0);  // starts asleep: no CPU spent until gaps show polling would pay
    // 2,000 requests/s through one worker: a backend answers in ~30 µs, the next request comes
    // ~470 µs after that.
    for (int i = 0; i < 20; ++i) {
        w.on_gap(30 * us);
        w.on_gap(470 * us);
    }
    CHECK(w.window_ns() >= 470 * us);
    CHECK(w.window_ns() <= 1000 * us);
    CHECK(w.poll(469 * us));  // the next request is caught by polling, no wake-up
}

TEST_CASE("auto never grows past its ceiling and shrinks to nothing when idle") {
    poll_window w(1000 * us, true);
    for (int i = 0; i < 30; ++i)
        w.on_gap(900 * us);
    CHECK(w.window_ns() == 1000 * us);
    // Traffic stops: one request every 10 s. Each run of four gaps beyond the ceiling halves the
    // window; a single long gap does not.
    w.on_gap(10'000'000 * us);
    CHECK(w.window_ns() == 1000 * us);
    for (int i = 0; i < 40; ++i)
        w.on_gap(10'000'000 * us);
    CHECK(w.window_ns() == 0);
    CHECK_FALSE(w.poll(0));
}

TEST_CASE("auto at a light load polls just long enough for a backend's quick reply") {
    poll_window w(1000 * us, true);
    // 50 requests/s: each reply comes 40 µs after its request, then 20 ms of silence. The window
    // grows to catch the reply, never towards the ceiling.
    std::uint64_t most = 0;
    for (int i = 0; i < 100; ++i) {
        w.on_gap(40 * us);
        most = std::max(most, w.window_ns());
        w.on_gap(20'000 * us);
    }
    CHECK(w.window_ns() >= 40 * us);
    CHECK(most <= 80 * us);
}
