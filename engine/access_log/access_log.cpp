// The access log thread: collects the workers' rings, formats, writes in batches.

#include "engine/access_log/access_log.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "base/log.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine {

namespace {

/// How often the log thread collects the rings: between these, adapted to how full it found
/// them (each collection is a wake-up and a write; a quiet proxy should not pay 100 a second,
/// a busy one must not let a ring fill). At 5 ms a 4096-record ring holds 800,000 connections a
/// second per worker before it drops.
constexpr int min_interval_ms = 5;
constexpr int max_interval_ms = 100;
/// Formatted bytes gathered before a write.
constexpr std::size_t batch_bytes = 256 * 1024;
/// After stop(), how long a blocked destination may keep the last lines waiting.
constexpr std::uint64_t stop_grace_ms = 1000;

}  // namespace

result<std::unique_ptr<access_log>, std::string> access_log::open(options o) {
    auto sink = log_sink::open(o.destination);
    if (!sink) return unexpected(sink.error());
    std::vector<record_ring> rings;
    rings.reserve(o.workers);
    for (unsigned w = 0; w < o.workers; ++w) {
        auto r = record_ring::create(o.records_per_worker);
        if (!r)
            return unexpected(fmt::format("--access-log: cannot reserve {} records: {}",
                                          o.records_per_worker, error_text(r.error())));
        rings.push_back(std::move(*r));
    }
    return std::unique_ptr<access_log>(new access_log(std::move(*sink), o, std::move(rings)));
}

access_log::access_log(log_sink sink, const options& o, std::vector<record_ring> rings)
    : sink_(std::move(sink)),
      formatter_(o.format, o.listeners),
      destination_(o.destination),
      format_(o.format),
      rings_(std::move(rings)),
      wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      interval_ms_(min_interval_ms) {}

access_log::~access_log() {
    stop();
}

void access_log::start() {
    thread_ = std::thread([this] { run(); });
}

void access_log::stop() {
    if (!thread_.joinable()) return;
    stop_deadline_ms_.store(monotonic_coarse_ms() + stop_grace_ms, std::memory_order_relaxed);
    stop_.store(true, std::memory_order_release);
    std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof(one));
    thread_.join();
}

void access_log::request_reopen() noexcept {
    reopen_.store(true, std::memory_order_release);
    std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof(one));
}

std::uint64_t access_log::dropped_full() const noexcept {
    std::uint64_t n = 0;
    for (const record_ring& r : rings_)
        n += r.dropped();
    return n;
}

bool access_log::keep_waiting() const noexcept {
    return !stop_.load(std::memory_order_acquire) ||
           monotonic_coarse_ms() < stop_deadline_ms_.load(std::memory_order_relaxed);
}

void access_log::flush(std::string& buf) {
    if (buf.empty()) return;
    log_sink::outcome o = sink_.write(buf, buf_lines_, [this] { return keep_waiting(); });
    written_.add(o.written);
    failed_.add(o.failed);
    buf.clear();
    buf_lines_ = 0;
}

std::size_t access_log::drain(std::string& buf) {
    formatter_.sample_clock_offset();
    std::size_t taken = 0;
    for (record_ring& r : rings_) {
        // In slices, so that a full ring's records are written (and its slots freed for the
        // worker) batch by batch rather than after the whole ring is formatted.
        std::size_t n;
        do {
            n = r.consume(256, [&](const access_record& rec) { formatter_.append(rec, buf); });
            taken += n;
            buf_lines_ += n;
            if (buf.size() >= batch_bytes) flush(buf);
        } while (n != 0);
    }
    flush(buf);
    return taken;
}

void access_log::run() noexcept {
    log::set_thread_name("access log");
    std::string buf;
    buf.reserve(batch_bytes + 4096);
    for (;;) {
        // Read before the drain: once stop is seen, the workers have ended, so this drain takes
        // their last records.
        bool stopping = stop_.load(std::memory_order_acquire);
        if (reopen_.exchange(false, std::memory_order_acq_rel)) sink_.reopen();
        double fullest = 0;
        for (const record_ring& r : rings_)
            fullest = std::max(
                fullest, static_cast<double>(r.pending()) / static_cast<double>(r.capacity()));
        drain(buf);
        if (stopping) return;
        if (fullest > 0.5) continue;  // filling faster than this thread sleeps: go again
        pollfd p{wake_.get(), POLLIN, 0};
        if (::poll(&p, 1, next_interval(fullest)) > 0) {
            std::uint64_t n;
            (void)!::read(wake_.get(), &n, sizeof(n));
        }
    }
}

int access_log::next_interval(double fullest) noexcept {
    // A quarter full: collect twice as often; under a sixteenth: half as often.
    if (fullest > 0.25)
        interval_ms_ = std::max(min_interval_ms, interval_ms_ / 2);
    else if (fullest < 1.0 / 16)
        interval_ms_ = std::min(max_interval_ms, interval_ms_ * 2);
    return interval_ms_;
}

void access_log::render_prometheus(std::string& out) const {
    auto o = std::back_inserter(out);
    fmt::format_to(o,
                   "# HELP edge_access_log_lines_total Access log lines written\n"
                   "# TYPE edge_access_log_lines_total counter\n"
                   "edge_access_log_lines_total {}\n",
                   lines_written());
    fmt::format_to(o,
                   "# HELP edge_access_log_dropped_total Access log lines lost, by reason: "
                   "buffer_full (the log could not keep up; workers never wait for it), "
                   "write_error\n"
                   "# TYPE edge_access_log_dropped_total counter\n"
                   "edge_access_log_dropped_total{{reason=\"buffer_full\"}} {}\n"
                   "edge_access_log_dropped_total{{reason=\"write_error\"}} {}\n",
                   dropped_full(), dropped_write());
}

}  // namespace edge::engine
