// run_sync: the main loop of `edgectl sync` (the sequence is in sync_loop.hpp). Three threads:
// this one decides and writes; a watch thread holds the etcd watch stream; a probe thread reads
// the cluster revision. The two others only post messages to this one's queue.

#include "tools/feed/sync_loop.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "base/log.hpp"
#include "base/strings.hpp"
#include "tools/feed/feed_apply.hpp"

namespace edge::feed {

namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Watch messages carry the number of the stream they come from: a stream stopped on purpose
// may still post its end after the next one has started.
struct watch_message {
    std::uint64_t stream;
    watch_response response;
};
struct watch_ended {
    std::uint64_t stream;
    std::optional<etcd_error> error;  // nullopt: it stopped because it was asked to
    std::string next_endpoint;        // where the client would have tried next
};
struct probe_result {
    clock::time_point started;
    std::int64_t revision = 0;  // 0: the probe failed
    std::string error;
};
using message = std::variant<watch_message, watch_ended, probe_result>;

class message_queue {
  public:
    void push(message m) {
        {
            std::lock_guard lock(mu_);
            q_.push_back(std::move(m));
        }
        cv_.notify_one();
    }
    std::optional<message> pop_until(clock::time_point deadline) {
        std::unique_lock lock(mu_);
        if (!cv_.wait_until(lock, deadline, [&] { return !q_.empty(); })) return std::nullopt;
        message m = std::move(q_.front());
        q_.pop_front();
        return m;
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<message> q_;
};

// Fail-over order. Every watch stream and snapshot builds a new etcd_client, and a client tries
// its endpoints in list order; with the list as given, every new stream would start at member
// 0 again, and a member 0 that accepts connections but is cut off from the others would get the
// watch back each time. So the sync keeps one position in the list, `first_endpoint_` (an
// index into the --etcd endpoints): a new client gets the list rotated to start there. When a
// stream breaks, the position becomes the endpoint the client would have tried next (the
// client has already moved past the one that failed); when the sync gives up on a stream
// itself (probes failing: "reopening the watch elsewhere"), it becomes the one after the
// endpoint the stream was on. Round robin, remembered across streams.
etcd_options starting_at(etcd_options opts, std::size_t first) {
    if (!opts.endpoints.empty()) {
        first %= opts.endpoints.size();
        std::rotate(opts.endpoints.begin(),
                    opts.endpoints.begin() + static_cast<std::ptrdiff_t>(first),
                    opts.endpoints.end());
    }
    return opts;
}

// Index of `endpoint` in `endpoints` (0 when absent).
std::size_t index_of(const std::vector<std::string>& endpoints, const std::string& endpoint) {
    auto it = std::find(endpoints.begin(), endpoints.end(), endpoint);
    return it == endpoints.end() ? 0 : static_cast<std::size_t>(it - endpoints.begin());
}

// A thread holding one watch stream from a revision, posting what it receives.
class watch_runner {
  public:
    watch_runner(const etcd_options& opts, const std::string& prefix, std::int64_t from,
                 std::uint64_t stream, message_queue& q)
        : thread_([this, opts, prefix, from, stream, &q] {
              std::optional<etcd_client> client;
              try {
                  client.emplace(opts);
                  client->watch(
                      prefix, from,
                      [&](const watch_response& r) {
                          q.push(watch_message{stream, r});
                          return !r.canceled;
                      },
                      stop_);
                  endpoint_ = client->endpoint();
                  q.push(watch_ended{stream, std::nullopt, endpoint_});
              } catch (const etcd_error& e) {
                  if (client) endpoint_ = client->endpoint();
                  q.push(watch_ended{stream, e, endpoint_});
              } catch (const std::exception& e) {
                  if (client) endpoint_ = client->endpoint();
                  q.push(watch_ended{stream, etcd_error(etcd_error::kind::garbage, e.what()),
                                     endpoint_});
              }
          }) {}
    ~watch_runner() { stop(); }

    /// Stops the stream and waits for its thread; the endpoint it was on ("" if none).
    const std::string& stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        return endpoint_;
    }

  private:
    std::atomic<bool> stop_{false};
    std::string endpoint_;  // written by the thread, read once it is joined
    std::thread thread_;    // last: started once stop_ exists
};

// A thread reading the cluster revision (linearizable, so it needs quorum) every interval.
class probe_runner {
  public:
    probe_runner(etcd_options opts, const std::string& prefix, clock::duration interval,
                 message_queue& q)
        : thread_([this, opts, prefix, interval, &q]() mutable {
              opts.request_timeout = std::min<std::chrono::milliseconds>(opts.request_timeout, 2s);
              etcd_client client(opts);
              while (!stop_) {
                  probe_result p{clock::now(), 0, {}};
                  try {
                      range_request r;
                      r.key = prefix;
                      r.range_end = prefix_end(prefix);
                      r.count_only = true;
                      p.revision = client.range(r).header.revision;
                  } catch (const std::exception& e) {
                      p.error = e.what();
                  }
                  q.push(p);
                  std::unique_lock lock(mu_);
                  cv_.wait_until(lock, p.started + interval, [&] { return stop_.load(); });
              }
          }) {}
    ~probe_runner() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

  private:
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    std::thread thread_;
};

class sync_loop {
  public:
    sync_loop(const sync_options& o, sync_status& s, const std::atomic<bool>& stop)
        : opts_(o), status_(s), stop_(stop) {}

    int run() {
        file_position pos = read_position(opts_.db_path);
        if (pos.revision > 0 && pos.prefix == opts_.prefix) {
            revision_ = pos.revision;
            cluster_id_ = pos.cluster_id;
            confirmed_ = revision_;
            written_ = true;
            status_.on_resumed(revision_);
            log::info("sync: {} holds revision {} of {}: resuming the watch from there",
                      opts_.db_path, revision_, opts_.prefix);
        } else {
            need_snapshot_ = true;
        }
        probe_runner probes(opts_.etcd, opts_.prefix, opts_.probe_interval, queue_);
        clock::duration backoff = 200ms;
        clock::time_point retry_at{};
        while (!stop_) {
            auto now = clock::now();
            if (need_snapshot_ && now >= retry_at) {
                watch_.reset();
                if (!take_snapshot()) {
                    retry_at = clock::now() + backoff;
                    backoff = std::min<clock::duration>(backoff * 2, 5s);
                } else {
                    backoff = 200ms;
                }
            }
            if (!need_snapshot_ && !watch_ && clock::now() >= retry_at) {
                etcd_options from = starting_at(opts_.etcd, first_endpoint_);
                log::info("sync: watching {} from revision {} (trying {} first)", opts_.prefix,
                          revision_ + 1, from.endpoints.front());
                watch_.emplace(from, opts_.prefix, revision_ + 1, ++stream_, queue_);
                watch_started_ = clock::now();
            }
            auto m = queue_.pop_until(next_deadline(retry_at));
            if (m) handle(std::move(*m), backoff, retry_at);
            if (!pending_.empty() && batch_due()) apply_pending();
            check_fresh();
            if (opts_.once && written_ && fresh_) break;
        }
        if (!pending_.empty()) apply_pending();
        watch_.reset();
        return 0;
    }

  private:
    clock::time_point next_deadline(clock::time_point retry_at) const {
        auto d = clock::now() + 100ms;  // the stop flag's latency
        if (!pending_.empty())
            d = std::min(d, std::min(first_event_ + opts_.max_delay, last_event_ + opts_.debounce));
        if (retry_at > clock::now()) d = std::min(d, retry_at);
        return d;
    }

    bool batch_due() const {
        auto now = clock::now();
        return now >= first_event_ + opts_.max_delay || now >= last_event_ + opts_.debounce;
    }

    bool take_snapshot() {
        auto t0 = clock::now();
        try {
            etcd_client client(starting_at(opts_.etcd, first_endpoint_));
            range_response snap = client.range_prefix(opts_.prefix);
            std::size_t backends = 0;
            std::string folder = std::string(opts_.prefix) + "backends/";
            for (const auto& kv : snap.kvs)
                backends += kv.key.rfind(folder, 0) == 0;
            file_position pos = read_position(opts_.db_path);
            if (backends == 0 && pos.backends > 0 && !opts_.allow_empty) {
                status_.on_refused_empty();
                log::error(
                    "sync: etcd holds no backend under {} (revision {}) but {} has {}: "
                    "keeping the file (a wrong prefix or an emptied cluster?); start with "
                    "--allow-empty to follow it",
                    opts_.prefix, snap.header.revision, opts_.db_path, pos.backends);
                return false;
            }
            auto t1 = clock::now();
            apply_result r = write_snapshot(opts_.db_path, opts_.prefix, snap.kvs,
                                            snap.header.revision, snap.header.cluster_id);
            auto t2 = clock::now();
            for (const auto& k : r.rejected)
                status_.on_rejected(k.key, k.reason);
            status_.on_ignored(r.ignored_keys);
            revision_ = snap.header.revision;
            cluster_id_ = snap.header.cluster_id;
            confirmed_ = std::max(confirmed_, revision_);
            status_.on_written(revision_, true);
            status_.on_fresh(t0);  // a linearizable read: the file is etcd as of t0
            written_ = fresh_ = true;
            need_snapshot_ = false;
            log::info(
                "sync: snapshot of {} at revision {}: {} keys ({} rejected, {} ignored) "
                "read in {} ms, {} written in {} ms",
                opts_.prefix, revision_, snap.kvs.size(), r.rejected.size(), r.ignored_keys,
                std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count(),
                opts_.db_path,
                std::chrono::duration_cast<std::chrono::milliseconds>(t2 - t1).count());
            return true;
        } catch (const std::exception& e) {
            log::warn("sync: snapshot failed, {} keeps its data: {}", opts_.db_path,
                      escape_control(e.what()));
            return false;
        }
    }

    void handle(message m, clock::duration& backoff, clock::time_point& retry_at) {
        if (auto* p = std::get_if<probe_result>(&m)) return on_probe(*p);
        if (auto* w = std::get_if<watch_message>(&m)) {
            if (watch_ && w->stream == stream_) on_watch(w->response, backoff);
            return;
        }
        auto& end = std::get<watch_ended>(m);
        if (!watch_ || end.stream != stream_) return;  // a stopped stream's last word
        if (!pending_.empty()) apply_pending();
        watch_.reset();
        // The client has moved past an endpoint that failed: the next stream starts there.
        if (!end.next_endpoint.empty())
            first_endpoint_ = index_of(opts_.etcd.endpoints, end.next_endpoint);
        status_.on_connected(false, "");
        if (need_snapshot_) return;  // the stream was cancelled on purpose (compaction)
        status_.on_watch_restart();
        if (end.error && end.error->why == etcd_error::kind::compacted) {
            log::warn("sync: {}: taking a fresh snapshot", escape_control(end.error->what()));
            need_snapshot_ = true;
            return;
        }
        log::warn("sync: watch ended ({}); reconnecting from revision {} in {} ms",
                  end.error ? escape_control(end.error->what()) : std::string("stopped"),
                  revision_ + 1,
                  std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count());
        retry_at = clock::now() + backoff;
        backoff = std::min<clock::duration>(backoff * 2, 5s);
    }

    void on_watch(const watch_response& r, clock::duration& backoff) {
        backoff = 200ms;
        if (r.created) status_.on_connected(true, "");
        if (r.header.cluster_id != 0 && cluster_id_ != 0 && r.header.cluster_id != cluster_id_) {
            log::warn(
                "sync: etcd cluster {} is not the one routing.db was synced from ({}): "
                "taking a fresh snapshot",
                r.header.cluster_id, cluster_id_);
            need_snapshot_ = true;
            return;
        }
        if (r.canceled) {
            if (r.compact_revision)
                log::warn(
                    "sync: etcd compacted past revision {} (compact revision {}): taking a "
                    "fresh snapshot",
                    revision_, r.compact_revision);
            else
                log::warn("sync: watch cancelled ({}): taking a fresh snapshot",
                          escape_control(r.cancel_reason));
            need_snapshot_ = true;
            return;
        }
        if (!r.events.empty()) {
            if (pending_.empty()) first_event_ = clock::now();
            last_event_ = clock::now();
            for (const auto& e : r.events) {
                pending_.push_back(e);
                pending_revision_ = std::max(pending_revision_, e.kv.mod_revision);
            }
            status_.on_events(r.events.size());
        }
        confirmed_ = std::max(confirmed_, r.header.revision);
    }

    void on_probe(const probe_result& p) {
        status_.on_probe(p.revision);
        if (p.revision == 0) {
            if (++probe_failures_ == 1 || probe_failures_ % 30 == 0)
                log::warn("sync: etcd probe failed ({} in a row): {}; routing.db keeps its data",
                          probe_failures_, escape_control(p.error));
            // A member cut off from the others keeps a watch open but sees no new writes:
            // after three failed probes, reopen the stream (the client moves on to the next
            // member).
            if (probe_failures_ % 3 == 0 && watch_ && clock::now() - watch_started_ > 3s) {
                const std::string& on = watch_->stop();
                if (!on.empty()) first_endpoint_ = index_of(opts_.etcd.endpoints, on) + 1;
                log::warn("sync: reopening the watch elsewhere (not on {})", on);
                watch_.reset();
                status_.on_connected(false, "");
                status_.on_watch_restart();
            }
            return;
        }
        if (probe_failures_ > 0) log::info("sync: etcd answers again (revision {})", p.revision);
        probe_failures_ = 0;
        probes_.push_back(p);
        if (probes_.size() > 64) probes_.pop_front();
    }

    // The file is fresh as of a probe once the watch has confirmed the probe's revision and
    // nothing received is waiting to be written.
    void check_fresh() {
        while (!probes_.empty() && pending_.empty() && confirmed_ >= probes_.front().revision) {
            status_.on_fresh(probes_.front().started);
            fresh_ = written_;
            probes_.pop_front();
        }
        bool stale = status_.is_stale();
        if (stale && !warned_stale_)
            log::warn(
                "sync: routing.db is stale: last confirmed {:.0f} s ago (max age {} s); "
                "it keeps serving its last data",
                status_.staleness_seconds(), opts_.max_age.count());
        else if (!stale && warned_stale_)
            log::info("sync: routing.db is current again (revision {})", revision_);
        warned_stale_ = stale;
    }

    void apply_pending() {
        try {
            auto t0 = clock::now();
            apply_result r =
                apply_events(opts_.db_path, opts_.prefix, pending_, pending_revision_, cluster_id_);
            for (const auto& k : r.rejected)
                status_.on_rejected(k.key, k.reason);
            status_.on_ignored(r.ignored_keys);
            revision_ = pending_revision_;
            status_.on_written(revision_, false);
            written_ = true;
            log::debug(
                "sync: {} events, {} rows written up to revision {} in {} us", pending_.size(),
                r.rows_written, revision_,
                std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - t0).count());
            pending_.clear();
        } catch (const std::exception& e) {
            status_.on_write_failure();
            log::error("sync: {}; retrying (the file keeps its last good data)",
                       escape_control(e.what()));
            first_event_ = clock::now();  // retry after max_delay
        }
    }

    const sync_options& opts_;
    sync_status& status_;
    const std::atomic<bool>& stop_;
    message_queue queue_;
    std::optional<watch_runner> watch_;
    std::uint64_t stream_ = 0;        // number of the current (or last) watch stream
    std::size_t first_endpoint_ = 0;  // where new clients start (see starting_at)
    clock::time_point watch_started_{};
    bool need_snapshot_ = false;
    bool written_ = false, fresh_ = false, warned_stale_ = false;
    std::int64_t revision_ = 0;  // what the file holds
    std::uint64_t cluster_id_ = 0;
    std::int64_t confirmed_ = 0;  // every event up to it has been received
    std::vector<watch_event> pending_;
    std::int64_t pending_revision_ = 0;
    clock::time_point first_event_{}, last_event_{};
    std::deque<probe_result> probes_;
    unsigned probe_failures_ = 0;
};

}  // namespace

int run_sync(const sync_options& opts, sync_status& status, const std::atomic<bool>& stop) {
    return sync_loop(opts, status, stop).run();
}

}  // namespace edge::feed
