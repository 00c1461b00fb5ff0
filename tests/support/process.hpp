#pragma once
// child_process: runs a real binary for a test, with its stderr (and stdout) captured in a file
// the test can read and wait on. The destructor kills (SIGKILL) and reaps a child still running,
// so a failing test never leaves a process behind.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace edge::test {

using namespace std::chrono_literals;

struct spawn_options {
    std::vector<std::pair<std::string, std::string>>
        env;                                    // added to (or replacing in) the environment
    std::optional<unsigned long> nofile_limit;  // RLIMIT_NOFILE for the child
    std::string log_path;                       // where stdout+stderr go (required)
    /// Installs a seccomp filter in the child that fails io_uring_setup with EPERM, as a
    /// container runtime's default profile does.
    bool block_io_uring = false;
};

class child_process {
  public:
    child_process(const std::vector<std::string>& argv, const spawn_options& opts);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const noexcept { return pid_; }
    /// Everything the child wrote so far.
    std::string output() const;
    /// Waits until the output contains `needle`; returns the output then, or nullopt on timeout
    /// or if the child exits first.
    std::optional<std::string> wait_for_output(const std::string& needle,
                                               std::chrono::milliseconds timeout = 5000ms) const;
    void signal(int sig) const;
    /// Waits for the child to exit; its exit code (128+signal if killed), nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = 5000ms);
    bool running();

  private:
    pid_t pid_ = -1;
    std::string log_path_;
    std::optional<int> status_;
};

/// Runs a command to completion (bounded) and returns {exit code, output}.
std::pair<int, std::string> run_command(const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout = 30000ms);

/// An environment variable the meson test set-up provides, or "" when absent.
std::string env_or_empty(const char* name);

}  // namespace edge::test
