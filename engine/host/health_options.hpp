#pragma once
// The health checker's settings from the command line (issue 14): the defaults every backend gets
// unless its row in the optional `health_checks` table overrides them (interval, timeout, rise,
// fall, jitter, and what a check sends and expects). Parsed once at start-up (host/config.cpp);
// read-only afterwards.

#include <chrono>
#include <cstdint>
#include <optional>

#include "routing/health_view.hpp"

namespace edge::engine {

struct health_options {
    using ms = std::chrono::milliseconds;

    // ---- active checks (defaults like HAProxy's: inter 2s, rise 2, fall 3) ----
    ms interval{2000};                // --check-interval; 0: no active checks
    ms timeout{1000};                 // --check-timeout (never above the backend's interval)
    std::uint32_t rise = 2;           // --check-rise: passes in a row that bring a backend up
    std::uint32_t fall = 3;           // --check-fall: failures in a row that take it down
    std::optional<ms> jitter;         // --check-jitter; unset: a tenth of the interval
    ms fast_interval{500};            // --check-fast-interval: while a state is changing
    ms down_interval{4000};           // --check-down-interval: while down
    std::uint32_t concurrency = 256;  // --check-concurrency: checks in flight at once

    // ---- passive ejection (Envoy's outlier detection) ----
    std::uint32_t eject_after = 5;         // --eject-after: failures in a row; 0: off
    ms eject_time{30000};                  // --eject-time: the first ejection's length
    ms eject_max_time{300000};             // --eject-max-time: the longest one
    std::uint32_t eject_max_percent = 50;  // --eject-max-percent of candidates ejected at once

    // ---- what selection does with the result ----
    ms slow_start{10000};  // --slow-start: weight ramp of a backend back in service; 0: off
    routing::panic_rule panic = routing::panic_rule::fail_open;  // --health-panic

    /// True when neither active checks nor passive ejection runs (no checker thread).
    bool off() const noexcept { return interval.count() == 0 && eject_after == 0; }
};

}  // namespace edge::engine
