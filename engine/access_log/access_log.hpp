#pragma once
// The access log: one line per finished client connection (--access-log DEST,
// --access-log-format text|json). Each worker fills a fixed-size record into its own ring
// (record_ring) when a connection ends — no formatting, allocation or syscall on the worker —
// and this class's thread collects the rings every few milliseconds, formats the lines
// (line_format) and writes them in batches (log_sink). When the destination cannot keep up the
// rings fill and records are dropped and counted, so the relay never waits for the log.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "engine/access_log/line_format.hpp"
#include "engine/access_log/log_sink.hpp"
#include "engine/host/metrics.hpp"
#include "engine/host/record_ring.hpp"

namespace edge::engine {

class access_log {
  public:
    struct options {
        std::string destination;  // a path, "stderr", "syslog" or "syslog:PATH"
        access_log_format format = access_log_format::text;
        std::size_t records_per_worker = 4096;  // ring capacity (a power of two)
        unsigned workers = 1;
        std::vector<std::string> listeners;  // listen addresses by index, as they print
    };

    /// Opens the destination and reserves each worker's ring; the thread starts with start().
    /// The error names the flag and what failed. Main thread, start-up.
    static result<std::unique_ptr<access_log>, std::string> open(options o);
    ~access_log();
    access_log(const access_log&) = delete;
    access_log& operator=(const access_log&) = delete;

    /// Worker `w`'s ring, for its TCP component. Main thread, before the workers start.
    record_ring* ring(unsigned w) noexcept { return &rings_[w]; }
    /// Starts the log thread. Main thread.
    void start();
    /// Writes what the rings still hold and ends the thread; a destination that stays blocked
    /// gets one second, then the rest is counted as lost. Main thread, after the workers ended.
    void stop();
    /// Asks the log thread to reopen its file (logrotate, SIGUSR1). Any thread.
    void request_reopen() noexcept;

    // ---- any thread ----
    std::uint64_t lines_written() const noexcept { return written_.get(); }
    /// Records dropped because a worker's ring was full (the log thread was behind).
    std::uint64_t dropped_full() const noexcept;
    /// Lines lost to a failed write.
    std::uint64_t dropped_write() const noexcept { return failed_.get(); }
    const std::string& destination() const noexcept { return destination_; }
    access_log_format format() const noexcept { return format_; }
    /// Appends the edge_access_log_* series (Prometheus text). Control thread.
    void render_prometheus(std::string& out) const;

  private:
    access_log(log_sink sink, const options& o, std::vector<record_ring> rings);
    void run() noexcept;
    /// Formats and writes everything the rings hold now; returns the records taken.
    std::size_t drain(std::string& buf);
    void flush(std::string& buf);
    /// How long to sleep before the next collection, from how full the rings were.
    int next_interval(double fullest) noexcept;
    bool keep_waiting() const noexcept;

    log_sink sink_;
    line_formatter formatter_;
    const std::string destination_;
    const access_log_format format_;
    std::vector<record_ring> rings_;
    std::thread thread_;
    unique_fd wake_;             // eventfd: stop or reopen asked
    std::size_t buf_lines_ = 0;  // lines formatted into the batch not yet written (log thread)
    int interval_ms_;            // the log thread's current collection interval

    // Sanctioned sharing (design §3): flags set by the main and control threads, read by the
    // log thread at its next pass; counters written by the log thread, read by the scrape.
    std::atomic<bool> stop_{false};
    std::atomic<bool> reopen_{false};
    std::atomic<std::uint64_t> stop_deadline_ms_{0};
    counter written_;
    counter failed_;
};

}  // namespace edge::engine
