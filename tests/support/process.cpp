#include "tests/support/process.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace edge::test {

namespace {

void block_io_uring_setup() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

std::vector<std::string> merged_env(const std::vector<std::pair<std::string, std::string>>& extra) {
    std::vector<std::string> out;
    for (char** e = environ; *e; ++e) {
        std::string kv = *e;
        bool replaced = false;
        for (const auto& [k, v] : extra)
            if (kv.compare(0, k.size() + 1, k + "=") == 0) replaced = true;
        if (!replaced) out.push_back(kv);
    }
    for (const auto& [k, v] : extra)
        out.push_back(k + "=" + v);
    return out;
}

}  // namespace

child_process::child_process(const std::vector<std::string>& argv, const spawn_options& opts)
    : log_path_(opts.log_path) {
    if (argv.empty() || argv[0].empty()) throw std::runtime_error("child_process: no program");
    std::vector<std::string> env = merged_env(opts.env);
    std::vector<char*> cargv, cenv;
    for (const auto& a : argv)
        cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (const auto& e : env)
        cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            if (fd > 2) ::close(fd);
        }
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        if (opts.nofile_limit) {
            rlimit rl{*opts.nofile_limit, *opts.nofile_limit};
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (opts.block_io_uring) block_io_uring_setup();
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execvpe(cargv[0], cargv.data(), cenv.data());  // PATH lookup for tools like sqlite3
        _exit(127);
    }
}

child_process::~child_process() {
    if (pid_ > 0 && running()) {
        ::kill(pid_, SIGKILL);
        wait_exit(5000ms);
    }
}

std::string child_process::output() const {
    std::ifstream f(log_path_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::optional<std::string> child_process::wait_for_output(const std::string& needle,
                                                          std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::string out = output();
        if (out.find(needle) != std::string::npos) return out;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        if (status_) return std::nullopt;
        int st;
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
            const_cast<child_process*>(this)->status_ =
                WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            out = output();
            if (out.find(needle) != std::string::npos) return out;
            return std::nullopt;
        }
        std::this_thread::sleep_for(5ms);
    }
}

void child_process::signal(int sig) const {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
    if (status_) return status_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int st;
        pid_t r = waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return status_;
        }
        if (r < 0) return std::nullopt;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(5ms);
    }
}

bool child_process::running() {
    if (status_) return false;
    int st;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return false;
    }
    return r == 0;
}

std::pair<int, std::string> run_command(const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout) {
    char tmpl[] = "/tmp/edgeproxy-cmd-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) ::close(fd);
    std::string out;
    int code = -1;
    {
        child_process p(argv, spawn_options{{}, std::nullopt, tmpl});
        auto rc = p.wait_exit(timeout);
        code = rc ? *rc : -1;
        out = p.output();
    }
    ::unlink(tmpl);
    return {code, out};
}

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

}  // namespace edge::test
