#pragma once
// Helpers for routing/ tests: temporary directories, SQL against real database files, and child
// processes (the sqlite3 CLI, edgectl) with captured output. Test code: may throw.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace edge::routing::test {

/// The test suite's one temporary directory (tests/support/temp_dir.hpp).
using edge::test::temp_dir;

/// Runs `sql` on the database at `path` (created if missing) through the SQLite C API; throws
/// on error.
void exec_sql(const std::string& path, const std::string& sql);

/// edgeProxy's backends table, optionally with the country column.
std::string backends_ddl(bool with_country);

/// An INSERT of one ordinary, valid row (with or without country).
std::string insert_backend(const std::string& id, const std::string& region, const std::string& ip,
                           int port, bool with_country = true, const std::string& country = "BR");

/// Writes `bytes` to `path` (truncating), then fsyncs nothing: tests only need the data visible.
void write_file(const std::string& path, const std::string& bytes);

struct process_result {
    int exit_code = -1;  // -1 when killed by a signal or timed out
    std::string out;
    std::string err;
};

/// Runs argv[0] (a path or a name looked up in PATH) with `stdin_data` on its input, waits at
/// most `timeout`, and captures both outputs. Throws if it cannot start.
process_result run_process(const std::vector<std::string>& argv, const std::string& stdin_data = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// A long-running child with pipes to its stdin and stdout (for a sqlite3 CLI that keeps the
/// database open). Killed and reaped on destruction.
class child_process {
  public:
    explicit child_process(const std::vector<std::string>& argv);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// Writes to the child's stdin.
    void write(const std::string& data);
    /// Reads stdout until it contains `marker`, at most `timeout`; returns what was read. Throws
    /// on timeout or EOF.
    std::string read_until(const std::string& marker,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Closes stdin and waits for exit (at most 10 s); returns the exit code.
    int finish();

  private:
    pid_t pid_ = -1;
    int in_ = -1;
    int out_ = -1;
    std::string buffer_;
};

/// The path in environment variable `name`, or "" when unset.
std::string env_path(const char* name);

/// True when `name` is an executable found in PATH.
bool in_path(const std::string& name);

}  // namespace edge::routing::test
