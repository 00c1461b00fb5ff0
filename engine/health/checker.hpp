#pragma once
// The health checker (issue 14): a component that checks every backend of the routing table from
// this POP through its worker's ring, takes the workers' passive failure reports, and publishes
// each backend's effective health for selection (routing::health_view, one byte per backend) and
// for the control thread (health_board: state, reason, counters).
//
// It runs on a worker host of its own (engine/proxy_worker.hpp: health_worker), not on a relay
// worker: its completions, timetable and table rebuilds never sit in a relay loop's batch, it is
// the single owner of every backend's health state (no locks, no cross-worker merging), and
// workers reach it only through shared counters and MSG_RING (host/passive_reports.hpp). Being a
// component, it could equally ride on a relay worker by adding it to that worker's list.
//
// Where things are: checker.cpp (set-up, tables, the timetable, decisions, publication) and
// probe.cpp (one check through the ring: socket → connect with a linked timeout → [send → read
// until the reply is judged] → close with a reset). A check is an ordinary TCP connect to the
// backend's address: a backend behind the WireGuard tunnel is reached through the kernel's route
// to the tunnel device, exactly as a client connection to it is; nothing here knows of the tunnel.

#include <linux/time_types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/socket_address.hpp"
#include "engine/health/backend_health.hpp"
#include "engine/health/check_spec.hpp"
#include "engine/health/event_queue.hpp"
#include "engine/health/pacer.hpp"
#include "engine/host/health_board.hpp"
#include "engine/host/health_options.hpp"
#include "engine/host/passive_reports.hpp"
#include "engine/host/worker_core.hpp"
#include "engine/host/worker_message.hpp"
#include "engine/uring/op_tag.hpp"
#include "engine/uring/slab.hpp"
#include "routing/health_view.hpp"
#include "routing/types.hpp"

namespace edge::engine::health {

/// The checker's operations (op_tag::op within its family).
enum class health_op : std::uint8_t {
    connect = 1,      // a check's connect (linked to connect_timeout)
    connect_timeout,  // its linked timeout
    send,             // the check's request (send_expect, http)
    read,             // the reply, into the check's own buffer
    cancel,           // cancel of a check's operations at its deadline (posts only on failure)
    close,            // close of a check's socket (posts only on failure)
    pace,             // the timeout that wakes the checker for its next event
    passive = passive_report_op,  // a worker's report, by MSG_RING (slot: backend slot)
};

/// Bytes of a check's reply kept: the longest `expect` (1024) and a status line fit.
inline constexpr std::uint32_t reply_capacity = 1280;

/// One check in flight. Its record lives until every operation it started has completed.
struct probe {
    int fd = -1;
    std::uint32_t backend_slot = 0;
    std::uint32_t backend_gen = 0;
    std::shared_ptr<const check_spec> spec;
    socket_address address;  // a copy: the kernel reads it when the connect is submitted
    std::uint64_t start_ns = 0;
    std::uint64_t started_ms = 0;
    std::uint16_t pending = 0;  // operations in the kernel
    std::uint32_t got = 0;      // reply bytes in buf
    bool done = false;          // its result is recorded; waiting for `pending` to reach 0
    __kernel_timespec timeout{};
    char buf[reply_capacity];
};

class checker {
  public:
    static constexpr std::uint8_t family = health_family;

    struct setup {
        const health_options* options = nullptr;
        routing::snapshot_ptr snapshot;
        routing::health_view* view = nullptr;  // what selection reads (written here only)
        passive_reports* passive = nullptr;    // workers' failure counts; null: none
        health_board* board = nullptr;         // what the control thread reads
        /// Checks in flight at most (--check-concurrency within the descriptor budget).
        std::uint32_t concurrency = 0;
    };

    static std::uint32_t timers_needed(const setup&) noexcept { return 0; }

    checker(worker_core& core, setup&& s);
    ~checker();
    checker(const checker&) = delete;
    checker& operator=(const checker&) = delete;

    // ---- the component contract (engine/host/worker.hpp); its worker's thread ----
    bool start(std::string& error) noexcept;
    const timer_slice& timers() const noexcept { return timers_; }
    void on_completion(const completion& c) noexcept;
    void after_batch() noexcept;
    void on_timer(std::uint32_t) noexcept {}
    bool wants_tick() const noexcept { return false; }
    void on_message(tables_message& m) noexcept;
    void start_drain() noexcept;
    bool drained() const noexcept { return in_flight_ == 0; }
    void force_close() noexcept {}

  private:
    // What the checker keeps per backend slot.
    struct backend_entry {
        std::uint32_t generation = 0;  // the backend (registry generation); 0: no backend here
        std::uint32_t seen = 0;        // the table rebuild that last named it
        std::uint32_t seq = 0;         // bumped to void its queued check event
        std::uint32_t eject_seq = 0;   // bumped to void its queued ejection end
        bool candidate = false;        // healthy and not draining in routing.db: selectable
        bool checked = false;          // active checks run for it
        bool in_flight = false;        // a check of it is under way
        bool waiting = false;          // due, waiting for a free place (--check-concurrency)
        bool ramping = false;          // on the slow-start list
        bool counted_out = false;      // counted in out_ (a candidate out of service)
        bool counted_ejected = false;  // counted in ejected_
        std::uint8_t level = 0;        // last level written to the view
        backend_health health;
        std::shared_ptr<const check_spec> spec;
        socket_address address;
    };

    // ---- checker.cpp ----
    void rebuild(std::uint64_t now) noexcept;
    void forget(std::uint32_t slot, backend_entry& e) noexcept;
    void schedule(std::uint32_t slot, backend_entry& e, std::uint64_t at) noexcept;
    void run_due(std::uint64_t now) noexcept;
    void on_check_due(const timed_event& ev) noexcept;
    void start_waiting() noexcept;
    void on_ejection_due(const timed_event& ev, std::uint64_t now) noexcept;
    void on_passive(std::uint32_t slot, std::uint32_t gen, std::int32_t res) noexcept;
    void update_ramps(std::uint64_t now) noexcept;
    void arm_pace(std::uint64_t now) noexcept;
    /// A check of backend `slot` ended with `r` after `micros`.
    void on_check_result(std::uint32_t slot, std::uint32_t gen, check_result r,
                         std::uint64_t micros, std::uint64_t started_ms) noexcept;
    /// Writes a backend's level to the view and its state to the board, keeps the counts, and
    /// logs `change` with `reason` (a check_result or passive_failure value).
    void publish(std::uint32_t slot, backend_entry& e, service_change change,
                 std::uint8_t reason) noexcept;
    void update_panic() noexcept;
    const routing::backend* backend_at(std::uint32_t slot) const noexcept;
    std::uint64_t jitter(std::uint32_t jitter_ms) noexcept;

    // ---- probe.cpp ----
    void start_probe(std::uint32_t slot, backend_entry& e) noexcept;
    void on_probe_completion(health_op op, const op_tag& t, const completion& c) noexcept;
    void on_deadline(const timed_event& ev) noexcept;
    void finish_probe(std::uint32_t pslot, probe& p, check_result r) noexcept;
    void release_if_idle(std::uint32_t pslot, probe& p) noexcept;
    void read_more(std::uint32_t pslot, probe& p) noexcept;
    std::uint64_t tag(health_op op, std::uint32_t pslot) const noexcept {
        return make_tag<family>(op, pslot, probes_->generation(pslot));
    }

    worker_core& core_;
    const health_options& opts_;
    routing::snapshot_ptr snap_;
    routing::health_view* const view_;
    passive_reports* const passive_;
    health_board& board_;
    timer_slice timers_;
    std::shared_ptr<const check_spec> default_spec_;
    ejection_policy ejection_;

    std::vector<backend_entry> backends_;  // by backend slot
    std::uint32_t rebuilds_ = 0;
    std::uint32_t candidates_ = 0;  // selectable backends (the ejection cap's pool)
    std::uint32_t out_ = 0;         // candidates out of service now
    std::uint32_t ejected_ = 0;     // candidates ejected now
    bool panic_ = false;

    event_queue events_;
    pacer pacer_;
    std::deque<std::uint32_t> waiting_;   // backend slots due while every place was taken
    std::vector<std::uint32_t> ramping_;  // backend slots in slow start
    std::uint64_t next_ramp_ms_ = 0;

    std::uint32_t concurrency_;
    std::optional<slab<probe>> probes_;
    std::uint32_t in_flight_ = 0;  // probe records held (checks in flight, or their close)
    bool draining_ = false;

    // The pace timeout: the latest one armed (pace_gen_) is the one that counts; an older one
    // firing late only causes an extra pass over the timetable.
    __kernel_timespec pace_ts_{};
    bool pace_armed_ = false;
    std::uint64_t pace_at_ms_ = 0;
    std::uint32_t pace_gen_ = 0;

    std::uint64_t rng_ = 0x9e3779b97f4a7c15ull;
    std::uint64_t socket_error_log_ms_ = 0;
    std::uint64_t cap_log_ms_ = 0;
};

}  // namespace edge::engine::health
