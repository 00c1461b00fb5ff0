#pragma once
// main() of an engine test that needs io_uring: probes the kernel once, exits 77 (meson: SKIP)
// with the reason where io_uring is unavailable, else runs the Catch session. The test's
// translation unit defines CATCH_CONFIG_RUNNER and calls run_with_io_uring from its main.

#include <catch2/catch.hpp>

#include <cstdio>

#include "engine/uring/ring.hpp"

namespace edge::engine::test {

/// Runs the Catch session with the probed features in `features`, or returns 77. Main thread.
inline int run_with_io_uring(int argc, char** argv, ring_features& features) {
    auto f = probe_ring_features();
    if (!f) {
        std::printf("SKIP: io_uring unavailable: %s\n", probe_message(f.error()));
        return 77;
    }
    features = *f;
    return Catch::Session().run(argc, argv);
}

}  // namespace edge::engine::test
