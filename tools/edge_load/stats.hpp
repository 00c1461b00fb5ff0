#pragma once
// stats: what a client worker counts. Counters are written by their worker only and read by the
// main thread for the progress line (sanctioned sharing: single writer, relaxed loads elsewhere,
// so a reading may lag by a few operations and never tears). Histograms are read only after the
// worker has been joined.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "tools/edge_load/histogram.hpp"

namespace edge::load {

enum class error_kind : std::uint8_t {
    refused,      // ECONNREFUSED: nothing listening
    reset,        // ECONNRESET, EPIPE, ECONNABORTED
    timeout,      // --timeout passed, or ETIMEDOUT
    short_read,   // EOF before the expected bytes
    wrong_bytes,  // more bytes than expected, or content that is not the pattern
    other,        // any other errno (the first one is kept)
    count_,
};
constexpr unsigned error_kinds = unsigned(error_kind::count_);

std::string_view error_name(error_kind k) noexcept;
/// Maps a negative errno from a completion to its kind.
error_kind classify_errno(int negative_errno) noexcept;

/// A counter with one writer (its worker) and any number of relaxed readers.
class counter {
  public:
    void add(std::uint64_t d = 1) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
    }
    std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> v_{0};
};

struct client_stats {
    counter attempted;  // connections, requests or streams started
    counter completed;  // finished with the right bytes
    counter failed;     // finished with an error (each failure counts one error below)
    counter bytes_sent;
    counter bytes_received;
    std::array<counter, error_kinds> errors;
    std::atomic<int> first_other_errno{0};
    std::atomic<bool> setup_done{false};     // hold, rr: every connection is up (or failed)
    std::atomic<bool> finished{false};       // the worker left its loop
    std::atomic<std::uint64_t> start_ns{0};  // when measuring began, if after the common start
    std::atomic<std::uint64_t> end_ns{0};    // when it left (now_ns)

    histogram connect;     // intended start → connected
    histogram first_byte;  // intended start → first response byte
    histogram complete;    // intended start → all bytes received (rate), request latency (rr)

    /// Counts one failure of kind k (with its errno for `other`); the worker only.
    void fail(error_kind k, int negative_errno = 0) noexcept;
};

}  // namespace edge::load

namespace edge::load {

/// Plain sums of every worker's client_stats, taken after they were joined (or, for the
/// progress line, while they run: then the histograms are left empty).
struct client_totals {
    std::uint64_t attempted = 0, completed = 0, failed = 0;
    std::uint64_t bytes_sent = 0, bytes_received = 0;
    std::array<std::uint64_t, error_kinds> errors{};
    int first_other_errno = 0;
    histogram connect, first_byte, complete;

    std::uint64_t error_total() const noexcept;
    /// Adds one worker's counters (and its histograms when with_histograms).
    void add(const client_stats& s, bool with_histograms);
};

}  // namespace edge::load
