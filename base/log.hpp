#pragma once
// Logging: one line per notable event, formatted with fmt and written to stderr with a single
// write(2) so lines from different threads never interleave. Never called per relayed chunk.

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace edge::log {

enum class level : std::uint8_t { debug, info, warn, error, off };

/// Sets the process-wide threshold; any thread, any time.
void set_level(level l) noexcept;
level current_level() noexcept;
inline bool enabled(level l) noexcept {
    return l >= current_level();
}
/// Parses "debug", "info", "warn"/"warning", "error", "off".
std::optional<level> parse_level(std::string_view s) noexcept;

/// Names the calling thread in its log lines ("worker 0", "control") and for the kernel
/// ("edge-worker-0", "edge-control": top -H, perf, /proc/PID/task). Not for the main thread:
/// its kernel name is the process's.
void set_thread_name(std::string_view name) noexcept;

/// Writes one finished line; the formatting helpers below call this.
void write_line(level l, std::string_view message) noexcept;

template <class... A>
void emit(level l, fmt::format_string<A...> f, A&&... a) {
    if (!enabled(l)) return;
    fmt::memory_buffer buf;
    fmt::format_to(std::back_inserter(buf), f, std::forward<A>(a)...);
    write_line(l, std::string_view(buf.data(), buf.size()));
}

template <class... A>
void debug(fmt::format_string<A...> f, A&&... a) {
    emit(level::debug, f, std::forward<A>(a)...);
}
template <class... A>
void info(fmt::format_string<A...> f, A&&... a) {
    emit(level::info, f, std::forward<A>(a)...);
}
template <class... A>
void warn(fmt::format_string<A...> f, A&&... a) {
    emit(level::warn, f, std::forward<A>(a)...);
}
template <class... A>
void error(fmt::format_string<A...> f, A&&... a) {
    emit(level::error, f, std::forward<A>(a)...);
}

}  // namespace edge::log
