#include <catch2/catch.hpp>

#include "base/nearest_word.hpp"

using namespace edge;

namespace {
const std::vector<std::string_view> flags = {"--listen",          "--listen-proxy", "--metrics",
                                             "--reload-interval", "--region",       "--db"};
}

TEST_CASE("a typo finds the flag it meant") {
    CHECK(nearest_word("--listn", flags) == "--listen");     // a letter missing
    CHECK(nearest_word("--metrisc", flags) == "--metrics");  // two letters swapped
    CHECK(nearest_word("--regoin", flags) == "--region");    // swapped again
    CHECK(nearest_word("--reload-intervall", flags) == "--reload-interval");
    CHECK(nearest_word("--listen-prox", flags) == "--listen-proxy");
    CHECK(did_you_mean("--dv", flags) == " (did you mean '--db'?)");
}

TEST_CASE("an abbreviation finds the one flag it starts") {
    CHECK(nearest_word("--reload", flags) == "--reload-interval");
    // "--list" starts both --listen and --listen-proxy, and is two letters from either: no guess.
    CHECK_FALSE(nearest_word("--list", flags).has_value());
}

TEST_CASE("an unrelated word suggests nothing") {
    CHECK_FALSE(nearest_word("--verbose", flags).has_value());
    CHECK_FALSE(nearest_word("--xyz", flags).has_value());
    CHECK(did_you_mean("--cores-per-socket", flags).empty());
    CHECK_FALSE(nearest_word("x", {}).has_value());
}
