#include "engine/control/spawn.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace edge::engine {

result<spawned_process, std::string> spawn_process(const std::string& exe,
                                                   const std::vector<std::string>& argv) {
    std::vector<char*> cargv;
    for (const std::string& a : argv)
        cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // This process blocks SIGTERM/SIGINT/SIGHUP (read through a signalfd) and ignores SIGPIPE;
    // the child must start with neither.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, exe.c_str(), nullptr, &attr, cargv.data(), environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) return unexpected(fmt::format("cannot start {}: {}", exe, std::strerror(rc)));
    spawned_process p;
    p.pid = pid;
    p.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    return p;
}

std::string own_executable() {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0) return "";
    std::string path(buf, static_cast<std::size_t>(n));
    const std::string deleted = " (deleted)";
    if (path.size() > deleted.size() && path.ends_with(deleted))
        path.resize(path.size() - deleted.size());
    return path;
}

std::vector<std::string> successor_argv(std::vector<std::string> argv, const std::string& path) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        if (argv[i] == "--takeover") {
            ++i;  // and its value
            continue;
        }
        if (argv[i].starts_with("--takeover=")) continue;
        out.push_back(std::move(argv[i]));
    }
    out.push_back("--takeover");
    out.push_back(path);
    return out;
}

}  // namespace edge::engine
