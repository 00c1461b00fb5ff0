#include "tests/routing/test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace edge::routing::test {

namespace {

using clock_type = std::chrono::steady_clock;

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> v;
    for (const auto& a : argv)
        v.push_back(const_cast<char*>(a.c_str()));
    v.push_back(nullptr);
    return v;
}

pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd,
            const std::vector<int>& close_fds) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    for (int fd : close_fds)
        posix_spawn_file_actions_addclose(&fa, fd);
    pid_t pid = -1;
    auto args = c_argv(argv);
    int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

int wait_exit(pid_t pid, clock_type::time_point deadline) {
    int status = 0;
    for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0 && errno != EINTR) return -1;
        if (clock_type::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        ::usleep(2000);
    }
}

}  // namespace

void exec_sql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        throw std::runtime_error("open " + path + " failed");
    }
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error("SQL failed: " + msg + " in: " + sql);
}

std::string backends_ddl(bool with_country) {
    return std::string("CREATE TABLE backends (id TEXT PRIMARY KEY, app TEXT, region TEXT, ") +
           (with_country ? "country TEXT, " : "") +
           "wg_ip TEXT, port INTEGER, healthy INTEGER, weight INTEGER, soft_limit INTEGER, "
           "hard_limit INTEGER, deleted INTEGER DEFAULT 0);";
}

std::string insert_backend(const std::string& id, const std::string& region, const std::string& ip,
                           int port, bool with_country, const std::string& country) {
    if (with_country)
        return "INSERT INTO backends (id, app, region, country, wg_ip, port, healthy, weight, "
               "soft_limit, hard_limit, deleted) VALUES ('" +
               id + "', 'app', '" + region + "', '" + country + "', '" + ip + "', " +
               std::to_string(port) + ", 1, 1, 10, 0, 0);";
    return "INSERT INTO backends (id, app, region, wg_ip, port, healthy, weight, soft_limit, "
           "hard_limit, deleted) VALUES ('" +
           id + "', 'app', '" + region + "', '" + ip + "', " + std::to_string(port) +
           ", 1, 1, 10, 0, 0);";
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << bytes;
    if (!f) throw std::runtime_error("cannot write " + path);
}

process_result run_process(const std::vector<std::string>& argv, const std::string& stdin_data,
                           std::chrono::milliseconds timeout) {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe failed");
    pid_t pid = spawn(argv, in[0], out[1], err[1], {});
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    // Small inputs only: the write fits in the pipe buffer, so no interleaving with reads.
    if (!stdin_data.empty() && ::write(in[1], stdin_data.data(), stdin_data.size()) < 0) {
        // the child may have exited early; its exit code tells the story
    }
    ::close(in[1]);

    process_result r;
    auto deadline = clock_type::now() + timeout;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0 && clock_type::now() < deadline) {
        if (::poll(fds, 2, 50) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            char buf[4096];
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
            } else {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds) {
        if (f.fd >= 0) ::close(f.fd);
    }
    r.exit_code = wait_exit(pid, deadline);
    return r;
}

child_process::child_process(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe failed");
    pid_ = spawn(argv, in[0], out[1], out[1], {});
    ::close(in[0]);
    ::close(out[1]);
    in_ = in[1];
    out_ = out[0];
}

child_process::~child_process() {
    if (in_ >= 0) ::close(in_);
    if (out_ >= 0) ::close(out_);
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

void child_process::write(const std::string& data) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(in_, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("write to child failed");
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

std::string child_process::read_until(const std::string& marker,
                                      std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    while (buffer_.find(marker) == std::string::npos) {
        if (clock_type::now() > deadline)
            throw std::runtime_error("timed out waiting for '" + marker + "', got: " + buffer_);
        pollfd p{out_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(out_, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("child closed its output; got: " + buffer_);
        buffer_.append(buf, static_cast<std::size_t>(n));
    }
    auto end = buffer_.find(marker) + marker.size();
    std::string got = buffer_.substr(0, end);
    buffer_.erase(0, end);
    return got;
}

int child_process::finish() {
    ::close(in_);
    in_ = -1;
    int code = wait_exit(pid_, clock_type::now() + std::chrono::seconds(10));
    pid_ = -1;
    return code;
}

std::string env_path(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

bool in_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (!path) return false;
    std::string p = path;
    std::size_t start = 0;
    while (start <= p.size()) {
        std::size_t end = p.find(':', start);
        if (end == std::string::npos) end = p.size();
        std::string dir = p.substr(start, end - start);
        if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

}  // namespace edge::routing::test
