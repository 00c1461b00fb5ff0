#pragma once
// Wall-clock times as the operator reads them (access log, GET /status): ISO 8601 in UTC.
// Any thread.

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace edge::engine {

/// "YYYY-MM-DDTHH:MM:SS" for `seconds` since the epoch, into `buf` (at least 20 bytes).
inline void format_utc_seconds(char* buf, std::size_t size, std::int64_t seconds) noexcept {
    time_t t = static_cast<time_t>(seconds);
    tm parts{};
    gmtime_r(&t, &parts);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &parts);
}

/// "YYYY-MM-DDTHH:MM:SS.mmmZ" for `ms` milliseconds since the epoch.
inline std::string utc_time_ms(std::int64_t ms) {
    char buf[32];
    format_utc_seconds(buf, sizeof(buf), ms / 1000);
    char out[40];
    std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

/// CLOCK_REALTIME in milliseconds.
inline std::int64_t realtime_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace edge::engine
