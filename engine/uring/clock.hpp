#pragma once
// The engine's clocks, read through the vDSO (no syscall). Any thread.

#include <time.h>

#include <cstdint>

namespace edge::engine {

/// Nanoseconds of CLOCK_MONOTONIC: connect latency, loop-time measurement, busy-poll windows.
inline std::uint64_t monotonic_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

/// Milliseconds of CLOCK_MONOTONIC_COARSE (tick resolution, cheaper): deadlines, intervals.
inline std::uint64_t monotonic_coarse_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000 +
           static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace edge::engine
