#include "base/log.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>

namespace edge::log {

namespace {

std::atomic<level> g_level{level::info};
thread_local char t_name[24] = "main";

constexpr std::string_view level_tag(level l) {
    switch (l) {
        case level::debug:
            return "DEBUG";
        case level::info:
            return "INFO ";
        case level::warn:
            return "WARN ";
        case level::error:
            return "ERROR";
        case level::off:
            break;
    }
    return "     ";
}

}  // namespace

void set_level(level l) noexcept {
    g_level.store(l, std::memory_order_relaxed);
}
level current_level() noexcept {
    return g_level.load(std::memory_order_relaxed);
}

std::optional<level> parse_level(std::string_view s) noexcept {
    if (s == "debug") return level::debug;
    if (s == "info") return level::info;
    if (s == "warn" || s == "warning") return level::warn;
    if (s == "error") return level::error;
    if (s == "off") return level::off;
    return std::nullopt;
}

void set_thread_name(std::string_view name) noexcept {
    std::size_t n = std::min(name.size(), sizeof(t_name) - 1);
    std::memcpy(t_name, name.data(), n);
    t_name[n] = '\0';
    // The kernel's name too, for top -H, perf and /proc/PID/task (where each thread's CPU is
    // read): "edge-" and the name with dashes for spaces, cut to the kernel's 15 bytes.
    char comm[16] = "edge-";
    std::size_t k = 5;
    for (std::size_t i = 0; i < n && k < sizeof(comm) - 1; ++i)
        comm[k++] = t_name[i] == ' ' ? '-' : t_name[i];
    comm[k] = '\0';
    pthread_setname_np(pthread_self(), comm);
}

void write_line(level l, std::string_view message) noexcept {
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    fmt::memory_buffer buf;
    fmt::format_to(std::back_inserter(buf),
                   "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} [{}] {}\n", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   static_cast<int>(ms.count()), level_tag(l), t_name, message);
    const char* p = buf.data();
    std::size_t left = buf.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // stderr gone: logging must never take the proxy down
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace edge::log
