#include "tools/edge_load/sys.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace edge::load {

std::uint64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1'000'000'000ull + std::uint64_t(ts.tv_nsec);
}

std::uint64_t raise_nofile(std::uint64_t wanted) {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= wanted) return rl.rlim_cur;
    if (rl.rlim_max < wanted) {
        // Only a privileged process can raise the hard limit; fs.nr_open caps it.
        std::uint64_t nr_open = 1u << 20;
        if (std::FILE* f = std::fopen("/proc/sys/fs/nr_open", "r")) {
            unsigned long long v = 0;
            if (std::fscanf(f, "%llu", &v) == 1) nr_open = v;
            std::fclose(f);
        }
        rlimit want{rlim_t(std::min(wanted, nr_open)), rlim_t(std::min(wanted, nr_open))};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) return want.rlim_cur;
    }
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, wanted);
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

void pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (rc != 0)
        throw std::runtime_error(fmt::format("cannot pin to CPU {}: {}", cpu, std::strerror(rc)));
}

cpu_times process_cpu() noexcept {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return {double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6,
            double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6};
}

bool stderr_is_tty() noexcept {
    return isatty(2) == 1;
}

void write_file_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) throw std::runtime_error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
}

}  // namespace edge::load
