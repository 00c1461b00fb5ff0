// The anti-replay window's edge cases (whitepaper §5.4.6, RFC 6479): first counter 0, exact
// window edge, jumps larger than the ring, the reject limit.
#include <catch2/catch.hpp>

#include "wg/replay_window.hpp"

using edge::wg::replay_window;

namespace {
constexpr std::uint64_t k_limit = ~std::uint64_t(0) - 8192;
}

TEST_CASE("each counter is accepted once, in any order within the window") {
    replay_window w;
    CHECK(w.accept(0, k_limit));
    CHECK_FALSE(w.accept(0, k_limit));
    CHECK(w.accept(5, k_limit));
    CHECK(w.accept(3, k_limit));
    CHECK_FALSE(w.accept(3, k_limit));
    CHECK(w.accept(1, k_limit));
    CHECK(w.highest() == 5);
}

TEST_CASE("a counter exactly `window` behind the highest is accepted, one more is not") {
    replay_window w;
    const std::uint64_t top = replay_window::window + 1000;
    CHECK(w.accept(top, k_limit));
    CHECK(w.accept(top - replay_window::window, k_limit));
    CHECK_FALSE(w.accept(top - replay_window::window - 1, k_limit));
    CHECK(replay_window::window >= 8192);
}

TEST_CASE("a jump beyond the ring forgets everything older, with no stale bits left") {
    replay_window w;
    for (std::uint64_t c = 0; c < 20000; ++c)
        REQUIRE(w.accept(c, k_limit));
    const std::uint64_t far = 20000 + 5 * replay_window::window;
    CHECK(w.accept(far, k_limit));
    // Counters just behind the new highest were never seen: their bits must read clear.
    for (std::uint64_t c = far - 1; c > far - replay_window::window; c -= 97)
        CHECK(w.accept(c, k_limit));
    CHECK_FALSE(w.accept(19999, k_limit));
}

TEST_CASE("sliding word by word keeps exactly the last window") {
    replay_window w;
    for (std::uint64_t c = 0; c < 100000; c += 2)
        REQUIRE(w.accept(c, k_limit));
    // Odd counters inside the window are new; even ones are replays.
    CHECK(w.accept(99999 - 2, k_limit));
    CHECK_FALSE(w.accept(99998 - 64, k_limit));
    CHECK(w.accept(99998 - replay_window::window + 1, k_limit));
}

TEST_CASE("counters at or past REJECT_AFTER_MESSAGES are refused") {
    replay_window w;
    CHECK_FALSE(w.accept(k_limit, k_limit));
    CHECK(w.accept(k_limit - 1, k_limit));
    CHECK_FALSE(w.accept(100, 100));
}
