#pragma once
// etcd_cluster: a real etcd cluster (Debian's etcd 3.4) started by a test on loopback ports, with
// its data in the test's temporary directory: members stopped, killed and restarted by index,
// the leader found, and etcdctl run against it. Every member is a child_process, so a failing
// test leaves none behind. sync_process: `edgectl sync` for a POP, with its status endpoint.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace edge::test {

/// True when the etcd and etcdctl binaries are installed (tests exit 77 otherwise).
bool etcd_available();

struct etcd_tls {
    std::string ca_file, cert_file, key_file;  // server certificate for 127.0.0.1
};

class etcd_cluster {
  public:
    /// Starts `members` members and waits (up to 20 s) until the cluster has a leader. With
    /// `tls`, clients speak https with that server certificate.
    etcd_cluster(const temp_dir& dir, int members, std::optional<etcd_tls> tls = std::nullopt);
    ~etcd_cluster();

    /// "http://127.0.0.1:A,http://127.0.0.1:B,…" (every member, running or not).
    std::string endpoints() const;
    std::string endpoint(int i) const;
    int size() const noexcept { return static_cast<int>(members_.size()); }

    /// Index of the member that is leader now (waits up to 10 s for one); -1 if none.
    int leader() const;
    /// SIGKILL (or SIGTERM with `graceful`) to member i, and wait for it to exit.
    void stop(int i, bool graceful = false);
    /// Starts member i again on its data (it rejoins the cluster).
    void start(int i);
    bool running(int i) const;
    /// Waits until the cluster answers a quorum read (up to `limit`).
    bool wait_healthy(std::chrono::milliseconds limit = std::chrono::seconds(20)) const;

    /// Runs etcdctl with these arguments against the running members; {exit code, output}.
    std::pair<int, std::string> etcdctl(const std::vector<std::string>& args) const;
    /// The cluster's current revision (through etcdctl), 0 when it cannot be read.
    std::int64_t revision() const;

  private:
    struct member {
        std::string name, data_dir, log;
        std::uint16_t client_port = 0, peer_port = 0;
        std::unique_ptr<child_process> proc;
    };
    std::vector<std::string> argv_of(const member& m) const;
    /// `etcdctl endpoint status` of member i: its "Status" object, nullopt when it does not answer.
    std::optional<nlohmann::json> status_of(int i) const;

    std::vector<member> members_;
    std::string initial_cluster_;
    std::optional<etcd_tls> tls_;
};

/// `edgectl sync` for one POP: started with the given extra flags, its status port read from its
/// log; stopped with SIGTERM on destruction.
class sync_process {
  public:
    sync_process(const temp_dir& dir, const std::string& name, const std::string& endpoints,
                 const std::string& db_path, const std::vector<std::string>& extra = {});
    ~sync_process();

    /// GET /metrics or /healthz of the sync process.
    std::string http(const std::string& path, int* status = nullptr) const;
    std::optional<double> metric(const std::string& series) const;
    child_process& process() noexcept { return *proc_; }
    std::string output() const { return proc_->output(); }
    /// SIGTERM and wait; the exit code.
    std::optional<int> stop();
    /// SIGKILL and wait (a crash: nothing is flushed or finished).
    void kill();

  private:
    std::unique_ptr<child_process> proc_;
    std::uint16_t status_port_ = 0;
};

/// Runs `edgectl ARGS --etcd ENDPOINTS` (plus `extra` flags); {exit code, output}.
std::pair<int, std::string> edgectl_etcd(const etcd_cluster& etcd, std::vector<std::string> args,
                                         const std::vector<std::string>& extra = {});

/// Polls `done` every 20 ms until it holds or `limit` passes; how long it took, or nullopt.
template <class Pred>
std::optional<std::chrono::milliseconds> until(Pred&& done, std::chrono::milliseconds limit) {
    auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - t0);
        if (done()) return took;
        if (took > limit) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace edge::test
