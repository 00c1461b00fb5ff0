#include "tools/feed/sync_status.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"

namespace edge::feed {

void sync_status::on_written(std::int64_t revision, bool full) {
    std::lock_guard lock(mu_);
    revision_ = revision;
    ever_written_ = true;
    (full ? full_syncs_ : batches_) += 1;
}

void sync_status::on_resumed(std::int64_t revision) {
    std::lock_guard lock(mu_);
    revision_ = revision;
    ever_written_ = true;
}

void sync_status::on_fresh(clock::time_point when) {
    std::lock_guard lock(mu_);
    if (!ever_fresh_ || when > fresh_as_of_) fresh_as_of_ = when;
    ever_fresh_ = true;
}

void sync_status::on_probe(std::int64_t cluster_revision) {
    std::lock_guard lock(mu_);
    if (cluster_revision > 0)
        cluster_revision_ = cluster_revision;
    else
        ++probe_failures_;
}

void sync_status::on_connected(bool connected, const std::string& endpoint) {
    std::lock_guard lock(mu_);
    connected_ = connected;
    endpoint_ = endpoint;
}

void sync_status::on_events(std::size_t n) {
    std::lock_guard lock(mu_);
    events_ += n;
}

void sync_status::on_rejected(const std::string& key, const std::string& reason) {
    std::lock_guard lock(mu_);
    ++rejected_;
    last_rejected_.emplace_back(key, reason);
    if (last_rejected_.size() > 20) last_rejected_.pop_front();
}

void sync_status::on_ignored(std::size_t n) {
    std::lock_guard lock(mu_);
    ignored_ += n;
}

void sync_status::on_watch_restart() {
    std::lock_guard lock(mu_);
    ++watch_restarts_;
}

void sync_status::on_write_failure() {
    std::lock_guard lock(mu_);
    ++write_failures_;
}

void sync_status::on_refused_empty() {
    std::lock_guard lock(mu_);
    ++refused_empty_;
}

double sync_status::staleness_seconds() const {
    std::lock_guard lock(mu_);
    auto since = ever_fresh_ ? fresh_as_of_ : started_;
    return std::chrono::duration<double>(clock::now() - since).count();
}

bool sync_status::is_stale() const {
    return staleness_seconds() > static_cast<double>(max_age_.count());
}

std::pair<int, std::string> sync_status::healthz() const {
    double age = staleness_seconds();
    std::lock_guard lock(mu_);
    if (!ever_written_)
        return {503, fmt::format("starting: no snapshot written yet ({:.1f} s)\n", age)};
    if (age > static_cast<double>(max_age_.count()))
        return {503, fmt::format("stale: revision {} last confirmed {:.1f} s ago (max age {} s); "
                                 "routing.db keeps serving its last data\n",
                                 revision_, age, max_age_.count())};
    return {200, fmt::format("ok: revision {}, confirmed {:.1f} s ago\n", revision_, age)};
}

std::string sync_status::metrics() const {
    double age = staleness_seconds();
    std::lock_guard lock(mu_);
    std::string out;
    auto gauge = [&](const char* name, const char* help, double v) {
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, v);
    };
    auto counter = [&](const char* name, const char* help, std::uint64_t v) {
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, v);
    };
    gauge("edge_sync_staleness_seconds", "Seconds since routing.db was last known to match etcd",
          age);
    gauge("edge_sync_max_age_seconds", "Staleness past which the sync warns",
          static_cast<double>(max_age_.count()));
    gauge("edge_sync_stale", "1 when staleness is past the max age",
          age > static_cast<double>(max_age_.count()) ? 1 : 0);
    gauge("edge_sync_revision", "etcd revision routing.db holds", static_cast<double>(revision_));
    gauge("edge_sync_cluster_revision", "etcd revision the last probe saw",
          static_cast<double>(cluster_revision_));
    gauge("edge_sync_connected", "1 while a watch stream is open", connected_ ? 1 : 0);
    counter("edge_sync_full_syncs_total", "Snapshots written as a whole new file", full_syncs_);
    counter("edge_sync_batches_total", "Batches of watch events written", batches_);
    counter("edge_sync_events_total", "Watch events received", events_);
    counter("edge_sync_rejected_values_total", "etcd values that were not valid rows", rejected_);
    counter("edge_sync_ignored_keys_total", "Keys under the prefix outside the layout", ignored_);
    counter("edge_sync_watch_restarts_total", "Watch streams reopened", watch_restarts_);
    counter("edge_sync_write_failures_total", "Failed writes of routing.db (retried)",
            write_failures_);
    counter("edge_sync_probe_failures_total", "Failed linearizable probes of etcd",
            probe_failures_);
    counter("edge_sync_refused_empty_total",
            "Snapshots refused because they would empty routing.db", refused_empty_);
    for (const auto& [key, reason] : last_rejected_)
        out += fmt::format("# rejected {}: {}\n", escape_control(key), escape_control(reason));
    return out;
}

}  // namespace edge::feed
