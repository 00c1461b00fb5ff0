#pragma once
// Helpers for edge-load's end-to-end tests: a `serve` backend on an ephemeral port, a client run
// with its JSON result, and a reader for numbers at a dotted path in edge-load's JSON output.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/proxy.hpp"  // edge_load_bin()
#include "tests/support/temp_dir.hpp"

namespace edge::test {

/// A number at a dotted path ("bytes.sent", "latency_us.connect.p99") of a JSON document; throws
/// when absent or not a number.
double json_number(const std::string& json, const std::string& path);
/// The text of a file ("" when missing).
std::string slurp(const std::string& path);

class serve_backend {
  public:
    /// Starts `edge-load serve --listen 127.0.0.1:0 --stats FILE <args>` and waits for its port.
    serve_backend(const temp_dir& dir, const std::string& name,
                  const std::vector<std::string>& args);
    std::uint16_t port() const noexcept { return port_; }
    std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
    /// SIGTERM, expects exit 0, returns the final stats JSON.
    std::string stop();
    child_process& process() { return *proc_; }

  private:
    std::string stats_path_;
    std::unique_ptr<child_process> proc_;
    std::uint16_t port_ = 0;
};

struct load_result {
    int exit_code = -1;
    std::string output;
    std::string json;
    double num(const std::string& path) const { return json_number(json, path); }
};

/// Runs `edge-load <args> --json FILE` to completion (bounded) and returns what it reported.
load_result run_load(const temp_dir& dir, std::vector<std::string> args);

}  // namespace edge::test
