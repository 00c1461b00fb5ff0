#pragma once
// process_stats: what Prometheus' standard process_* metrics report, read from /proc/self when
// /metrics is scraped (a handful of reads on the admin thread, nothing on a worker).

#include <cstdint>
#include <optional>

namespace edge::engine {

/// The process as the kernel accounts it.
struct process_stats {
    double cpu_seconds = 0;            // user + system time of every thread
    std::uint64_t resident_bytes = 0;  // RSS
    std::uint64_t virtual_bytes = 0;
    std::uint64_t open_fds = 0;
    std::uint64_t max_fds = 0;      // soft RLIMIT_NOFILE
    double start_time_seconds = 0;  // since the Unix epoch
};

/// Reads /proc/self/stat, /proc/self/fd, /proc/stat (boot time) and RLIMIT_NOFILE; nullopt when
/// /proc is not mounted. Any thread (the admin thread calls it per scrape).
std::optional<process_stats> read_process_stats() noexcept;

}  // namespace edge::engine
