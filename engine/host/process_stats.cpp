#include "engine/host/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/small_file.hpp"

namespace edge::engine {

namespace {

// Seconds since the epoch at which the machine booted (/proc/stat's btime).
std::optional<std::uint64_t> boot_time() noexcept {
    static char buf[16384];  // /proc/stat grows with the CPUs; btime follows the per-CPU lines
    if (!read_small_file("/proc/stat", buf, sizeof buf)) return std::nullopt;
    const char* p = std::strstr(buf, "\nbtime ");
    if (p == nullptr) return std::nullopt;
    return std::strtoull(p + 7, nullptr, 10);
}

std::uint64_t count_open_fds() noexcept {
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr) return 0;
    std::uint64_t n = 0;
    while (const dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n > 0 ? n - 1 : 0;  // the directory stream's own descriptor is not the process's
}

}  // namespace

std::optional<process_stats> read_process_stats() noexcept {
    char buf[1024];
    if (!read_small_file("/proc/self/stat", buf, sizeof buf)) return std::nullopt;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last
    // ')'. Field 3 (state) is then the first; utime is field 14, so 11 further fields on.
    const char* p = std::strrchr(buf, ')');
    if (p == nullptr) return std::nullopt;
    unsigned long long f[23] = {};  // fields 4 .. 24
    char state = 0;
    if (std::sscanf(p + 1,
                    " %c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                    "%llu %llu %llu %llu %llu %llu %llu",
                    &state, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9],
                    &f[10], &f[11], &f[12], &f[13], &f[14], &f[15], &f[16], &f[17], &f[18], &f[19],
                    &f[20]) != 22)
        return std::nullopt;
    // f[i] is field i + 4: utime 14, stime 15, starttime 22 (ticks after boot), vsize 23 (bytes),
    // rss 24 (pages).
    const double ticks = double(::sysconf(_SC_CLK_TCK));
    const auto page = std::uint64_t(::sysconf(_SC_PAGESIZE));
    process_stats s;
    s.cpu_seconds = double(f[10] + f[11]) / ticks;
    s.start_time_seconds = double(boot_time().value_or(0)) + double(f[18]) / ticks;
    s.virtual_bytes = f[19];
    s.resident_bytes = f[20] * page;
    s.open_fds = count_open_fds();
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) s.max_fds = lim.rlim_cur;
    return s;
}

}  // namespace edge::engine
