#pragma once
// What the health checker publishes about each backend for the control thread (issue 14): its
// state and why, since when, and its check and ejection counters. One cell per backend slot,
// written only by the checker's thread, read by the control thread for /metrics
// (host/health_metrics.hpp) and the status page (host/health_status.hpp). Selection does not
// read this: it reads routing::health_view, one byte per backend.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "base/result.hpp"
#include "engine/host/metrics.hpp"
#include "engine/uring/mmap_array.hpp"

namespace edge::engine {

/// How one active check ended (label `result` of edge_backend_health_checks_total).
enum class check_result : std::uint8_t {
    passed,
    refused,      // connect refused: nothing listens
    unreachable,  // no route to the backend
    reset,        // reset during the connect or the exchange
    timeout,      // no connect, or no complete reply, within the check's timeout
    closed,       // the backend closed before the whole expected reply came
    mismatch,     // the reply was not what the check expects (bytes or HTTP status)
    other,        // any other error
    count_,
};
inline constexpr std::array<const char*, std::size_t(check_result::count_)> check_result_names = {
    "passed", "refused", "unreachable", "reset", "timeout", "closed", "mismatch", "other"};

/// A backend's health as the checker sees it (the routing.db side is added by the reader).
enum class health_state : std::uint8_t {
    unknown,     // no cell for this backend yet (just added, or no checker)
    up,          // in service
    slow_start,  // in service, its weight ramping up after coming back
    down,        // out: its active check failed `fall` times in a row
    ejected,     // out: passive ejection after failures in live traffic
    count_,
};
inline constexpr std::array<const char*, std::size_t(health_state::count_)> health_state_names = {
    "unknown", "up", "slow_start", "down", "ejected"};

/// Upper bounds (seconds) of edge_backend_health_check_duration_seconds.
inline constexpr std::array<double, 13> check_duration_bounds_s = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

/// One backend slot. Every field is written only by the checker's thread (relaxed stores; the
/// reader may see a mix of two moments, which a status line tolerates).
struct health_cell {
    std::atomic<std::uint32_t> generation;   // the backend (registry generation) described; 0 none
    std::atomic<std::uint8_t> state;         // health_state
    std::atomic<std::uint8_t> reason;        // down: check_result; ejected: passive_failure
    std::atomic<std::uint8_t> level;         // the routing::health_view level published
    std::atomic<std::uint32_t> in_row;       // up: failed checks in a row; down: passed ones
    std::atomic<std::uint64_t> since_ms;     // when `state` began (monotonic clock, ms)
    std::atomic<std::uint64_t> until_ms;     // ejected: when it comes back
    std::atomic<std::uint32_t> ejection_ms;  // ejected: this ejection's length
    std::array<counter, std::size_t(check_result::count_)> checks;
    counter ejections;
    std::array<counter, check_duration_bounds_s.size() + 1> duration;  // last bucket: +Inf
    counter duration_sum_us;
    gauge last_duration_us;
};

class health_board {
  public:
    /// Cells for `capacity` backend slots, zero pages until a slot is used. Start-up.
    static result<std::unique_ptr<health_board>> create(std::uint32_t capacity, bool active,
                                                        bool passive) noexcept;
    health_board(const health_board&) = delete;
    health_board& operator=(const health_board&) = delete;

    /// The cell of backend slot `slot` (below capacity()): written by the checker's thread,
    /// read by any.
    health_cell& cell(std::uint32_t slot) noexcept { return cells_[slot]; }
    const health_cell& cell(std::uint32_t slot) const noexcept { return cells_[slot]; }
    /// Backend slots covered. Any thread.
    std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(cells_.size()); }
    /// Active checks / passive ejection run at all (flags). Any thread.
    bool active() const noexcept { return active_; }
    bool passive() const noexcept { return passive_; }

    /// Records a check's duration in `slot`'s histogram. Checker thread.
    void record_duration(std::uint32_t slot, std::uint64_t micros) noexcept;

    // ---- process-wide, written by the checker's thread ----
    gauge in_flight;           // checks in flight now
    counter deferred;          // checks that waited for a free place (--check-concurrency)
    gauge out_of_service;      // candidates down or ejected now
    gauge panic;               // 1 while no candidate is in service (selection's panic rule)
    counter passive_reports;   // reports from workers (failures in a row at the threshold)
    counter ejections_capped;  // ejections not made: --eject-max-percent reached

  private:
    health_board() = default;
    mmap_array<health_cell> cells_;
    bool active_ = false;
    bool passive_ = false;
};

}  // namespace edge::engine
