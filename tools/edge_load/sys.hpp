#pragma once
// sys: the process-level chores every mode shares: the monotonic clock, the descriptor limit,
// pinning a thread to a CPU, the CPU time the process has used, writing a result file.

#include <cstdint>
#include <string>

namespace edge::load {

/// CLOCK_MONOTONIC in nanoseconds; any thread.
std::uint64_t now_ns() noexcept;
/// Raises RLIMIT_NOFILE to at least `wanted` (soft up to hard; as root, hard up to fs.nr_open)
/// and returns the soft limit now in force; main thread, before workers start.
std::uint64_t raise_nofile(std::uint64_t wanted);
/// Pins the calling thread to `cpu`; throws std::runtime_error when the CPU is not allowed.
void pin_current_thread(int cpu);

struct cpu_times {
    double user_s = 0;
    double sys_s = 0;
};
/// User and system CPU time of the whole process (all threads) so far; any thread.
cpu_times process_cpu() noexcept;

/// True when fd 2 is a terminal.
bool stderr_is_tty() noexcept;

/// Writes text to path through a temporary file and rename, so readers never see half a file;
/// throws std::runtime_error naming the path. Any thread.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace edge::load
