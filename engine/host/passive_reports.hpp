#pragma once
// Passive health (issue 14): what live traffic says about each backend, from every worker to the
// health checker. Workers count a backend's failures in a row (connect refused, unreachable, reset
// or timed out; a proxied connection the backend reset) in one counter per backend slot shared by
// all workers; a connect that succeeds sets it back to 0. The worker whose failure reaches the
// threshold (and every threshold-th one after, while nothing has been done about it) tells the
// checker with an IORING_OP_MSG_RING from its own ring into the checker's: no lock, no syscall of
// its own (the SQE goes with the worker's next submit), and the checker's ring wakes at once, so
// an ejection is decided within one wake-up of the failure that earns it.
//
// Outcomes from several workers are combined by the shared counter itself: "in a row" means in
// the order the workers' increments land, across all of them.

#include <atomic>
#include <cstdint>
#include <memory>

#include "engine/uring/op_tag.hpp"
#include "engine/uring/ring.hpp"

namespace edge::engine {

/// The op family of the health checker's completions. Its worker hosts only the checker, but a
/// distinct number keeps it free to share a worker with the other components.
inline constexpr std::uint8_t health_family = 3;
/// The checker's op (in its family) for a report that arrives by MSG_RING.
inline constexpr std::uint8_t passive_report_op = 15;

/// What a worker saw go wrong with a backend (the MSG_RING's result value).
enum class passive_failure : std::uint8_t {
    refused,      // connect: ECONNREFUSED
    unreachable,  // connect: no route
    reset,        // connect reset during the handshake, or a proxied connection reset by it
    timeout,      // connect: no answer within --connect-timeout
    other,        // connect: anything else
    count_,
};
inline constexpr const char* passive_failure_names[] = {"refused", "unreachable", "reset",
                                                        "timeout", "other"};

class passive_reports {
  public:
    /// Counters for `capacity` backend slots; a report is sent after `threshold` failures in a
    /// row (0: never). Start-up.
    passive_reports(std::uint32_t capacity, std::uint32_t threshold);

    /// The ring that receives reports (the checker's), or -1 to send none. The checker's thread,
    /// when it starts and when it stops.
    void attach(int ring_fd) noexcept { ring_fd_.store(ring_fd, std::memory_order_release); }

    /// One failure of backend `slot` (generation `gen`) seen by a worker; may prepare a MSG_RING
    /// on `io` (tagged `local_tag` for the worker's own CQE, posted only if it fails). Worker
    /// thread.
    void on_failure(ring& io, std::uint64_t local_tag, std::uint32_t slot, std::uint32_t gen,
                    passive_failure why) noexcept;
    /// A connect to backend `slot` succeeded. Worker thread.
    void on_success(std::uint32_t slot) noexcept {
        if (slot >= capacity_) return;
        std::atomic<std::uint32_t>& n = failures_[slot];
        // A load first: in steady state the line is only read, so it stays shared in every core.
        if (n.load(std::memory_order_relaxed) != 0) n.store(0, std::memory_order_relaxed);
    }
    /// Forgets the failures of `slot` (the checker, on ejecting it or when it comes back).
    void reset(std::uint32_t slot) noexcept {
        if (slot < capacity_) failures_[slot].store(0, std::memory_order_relaxed);
    }
    /// Failures in a row of `slot` now. Any thread.
    std::uint32_t failures(std::uint32_t slot) const noexcept {
        return slot < capacity_ ? failures_[slot].load(std::memory_order_relaxed) : 0;
    }
    /// Failures in a row that make a report (--eject-after; 0: never). Any thread.
    std::uint32_t threshold() const noexcept { return threshold_; }

  private:
    // Sanctioned sharing (design §3): every worker adds to a backend's counter on a failure
    // (fetch_add, relaxed: the counter guards a number, not other memory) and stores 0 on a
    // successful connect only when it is not 0 already; the checker stores 0 when it acts. Written
    // on failures only, so in steady state the array is read-only and costs no cache traffic.
    std::unique_ptr<std::atomic<std::uint32_t>[]> failures_;
    std::uint32_t capacity_;
    std::uint32_t threshold_;
    // Written by the checker when it starts and stops, read by workers on a report.
    std::atomic<int> ring_fd_{-1};
};

}  // namespace edge::engine
