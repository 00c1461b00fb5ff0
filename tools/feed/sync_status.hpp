#pragma once
// sync_status: what `edgectl sync` reports about itself — the revision its routing.db holds, how
// stale that is, and counters — written by the sync loop, read by the status endpoint
// (/healthz, /metrics). Thread-safe (one mutex; nothing here is on a hot path).

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace edge::feed {

class sync_status {
  public:
    using clock = std::chrono::steady_clock;

    explicit sync_status(std::chrono::seconds max_age) : max_age_(max_age) {}

    /// The file now holds etcd's state at `revision`. Sync thread.
    void on_written(std::int64_t revision, bool full);
    /// The file held `revision` already at start (a restart resuming its watch). Sync thread.
    void on_resumed(std::int64_t revision);
    /// etcd's state was in the file as of `when` (a probe's revision reached by the watch). Sync
    /// thread.
    void on_fresh(clock::time_point when);
    /// The cluster revision a probe saw (0 when the probe failed). Sync thread.
    void on_probe(std::int64_t cluster_revision);
    void on_connected(bool connected, const std::string& endpoint);
    void on_events(std::size_t n);
    void on_rejected(const std::string& key, const std::string& reason);
    void on_ignored(std::size_t n);
    void on_watch_restart();
    void on_write_failure();
    void on_refused_empty();

    /// Seconds since the file was last known to match etcd (since start when never).
    double staleness_seconds() const;
    /// Past max age: the sync warns (it never drops routes by itself).
    bool is_stale() const;
    /// "/healthz": 200 "ok …" while fresh, 503 "stale …" or "starting …" otherwise.
    std::pair<int, std::string> healthz() const;
    /// "/metrics": Prometheus text.
    std::string metrics() const;

  private:
    mutable std::mutex mu_;
    std::chrono::seconds max_age_;
    clock::time_point started_ = clock::now();
    clock::time_point fresh_as_of_{};
    bool ever_fresh_ = false;
    bool ever_written_ = false;
    bool connected_ = false;
    std::string endpoint_;
    std::int64_t revision_ = 0, cluster_revision_ = 0;
    std::uint64_t full_syncs_ = 0, batches_ = 0, events_ = 0, rejected_ = 0, ignored_ = 0,
                  watch_restarts_ = 0, write_failures_ = 0, probe_failures_ = 0, refused_empty_ = 0;
    std::deque<std::pair<std::string, std::string>> last_rejected_;  // the 20 latest
};

}  // namespace edge::feed
