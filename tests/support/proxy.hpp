#pragma once
// proxy_process: the real edgeproxy binary ($EDGEPROXY_BIN) started for a test on ephemeral
// loopback ports, with helpers to read its ports and scrape its metrics.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace edge::test {

struct proxy_options {
    std::string db_path;
    unsigned cores = 1;
    std::vector<std::string> args;  // extra flags
    std::optional<unsigned long> nofile_limit;
    std::vector<std::pair<std::string, std::string>> env;
    bool block_io_uring = false;
};

class proxy_process {
  public:
    /// Starts edgeproxy and waits until it serves (throws with its output if it does not).
    proxy_process(const temp_dir& dir, const proxy_options& opts);

    std::uint16_t port() const noexcept { return port_; }
    /// The first --listen-proxy (or --proxy-protocol) address's port; 0 if none.
    std::uint16_t proxy_port() const noexcept { return proxy_port_; }
    std::uint16_t metrics_port() const noexcept { return metrics_port_; }
    /// Its control socket (--control, in the test's directory).
    const std::string& control_path() const noexcept { return control_path_; }
    child_process& process() noexcept { return proc_; }
    std::string output() const { return proc_.output(); }

    /// GET path on the metrics port; the body, or "" on failure.
    std::string http_get(const std::string& path, int* status = nullptr) const;
    /// The value of one series of /metrics, e.g. `edge_connections_total` or
    /// `edge_connections_rejected_total{reason="capacity"}`; nullopt if absent.
    std::optional<double> metric(const std::string& series) const;

  private:
    child_process proc_;
    std::uint16_t port_ = 0;
    std::uint16_t proxy_port_ = 0;
    std::uint16_t metrics_port_ = 0;
    std::string control_path_;
};

/// Path of the edgeproxy binary under test (from $EDGEPROXY_BIN).
std::string edgeproxy_bin();
/// edgectl's and edge-load's, from $EDGECTL_BIN and $EDGE_LOAD_BIN (set by meson).
std::string edgectl_bin();
std::string edge_load_bin();

/// A GeoIP database made by `edgectl geo build` from CSV lines ("127.0.10.0/24,GB[,region]"),
/// written to dir/geo.mmdb; returns its path. Throws with edgectl's output when it fails.
std::string build_geo_db(const temp_dir& dir, const std::string& csv);

}  // namespace edge::test
