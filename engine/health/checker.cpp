// The health checker: set-up, the routing table, the timetable, the decisions (down, up,
// ejected, back) and their publication. One check's life through the ring is in probe.cpp.
//
// Spreading: a backend's first check falls at a fixed fraction of its interval (its slot times
// the golden ratio, so any number of backends spread evenly), and each later one an interval
// (± jitter) after the previous one started. The checker wakes for its next event with a ring
// timeout and starts everything due within the next pace_slack_ms, so 10,000 backends every 2 s
// are 50 checks per 10 ms wake-up, never the whole table at once; at most --check-concurrency
// are in flight, the rest wait in order.

#include "engine/health/checker.hpp"

#include <pthread.h>

#include <algorithm>

#include "base/log.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine::health {

namespace {

/// Checks due this close to now start in the current wake-up (bounds wake-ups to ~100/s).
constexpr std::uint64_t pace_slack_ms = 10;
/// Slow-start levels are refreshed at most this often (and at least 64 times per ramp).
constexpr std::uint64_t min_ramp_step_ms = 50;

std::string ms_text(std::uint64_t ms) {
    if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
    return fmt::format("{} ms", ms);
}

health_state state_of(const backend_health& h, std::uint8_t level) {
    if (h.ejected()) return health_state::ejected;
    if (!h.checks_up()) return health_state::down;
    if (level != routing::health_view::full) return health_state::slow_start;
    return health_state::up;
}

}  // namespace

checker::checker(worker_core& core, setup&& s)
    : core_(core),
      opts_(*s.options),
      snap_(std::move(s.snapshot)),
      view_(s.view),
      passive_(s.passive),
      board_(*s.board),
      default_spec_(default_spec(*s.options)),
      concurrency_(s.concurrency ? s.concurrency : s.options->concurrency) {
    ejection_.base_ms = static_cast<std::uint64_t>(opts_.eject_time.count());
    ejection_.max_ms = static_cast<std::uint64_t>(opts_.eject_max_time.count());
    ejection_.max_percent = opts_.eject_max_percent;
    rng_ ^= static_cast<std::uint64_t>(monotonic_ns());
}

checker::~checker() {
    if (passive_) passive_->attach(-1);
    // Checks still in flight when the loop ended (a forced stop) close with the process.
    if (!probes_) return;
    for (std::uint32_t i = 0; i < probes_->high_water(); ++i)
        if (probes_->in_use(i) && (*probes_)[i].fd >= 0) ::close((*probes_)[i].fd);
}

bool checker::start(std::string& error) noexcept {
    log::set_thread_name("health");  // edge-health in top -H: the checks' CPU is this thread's
    auto p = slab<probe>::create(std::max<std::uint32_t>(concurrency_, 1));
    if (!p) {
        error = "cannot reserve memory for health checks";
        return false;
    }
    probes_.emplace(std::move(*p));
    events_.reserve(1024);
    // Reports reach this ring from now on.
    if (passive_) passive_->attach(core_.io().fd());
    rebuild(core_.now_ms());
    arm_pace(core_.now_ms());  // nothing else wakes the loop before the first check is due
    log::info(
        "health checks: {}; passive ejection: {}; slow start {}; panic rule: {}",
        opts_.interval.count() == 0
            ? std::string("only for backends with a health_checks interval")
            : fmt::format("every {} (rise {}, fall {}, timeout {}, at most {} at once)",
                          ms_text(static_cast<std::uint64_t>(opts_.interval.count())), opts_.rise,
                          opts_.fall, ms_text(static_cast<std::uint64_t>(opts_.timeout.count())),
                          concurrency_),
        opts_.eject_after == 0
            ? std::string("off")
            : fmt::format("after {} failures in a row, {} growing to {}, at most {}% of backends",
                          opts_.eject_after, ms_text(ejection_.base_ms), ms_text(ejection_.max_ms),
                          opts_.eject_max_percent),
        opts_.slow_start.count() ? ms_text(static_cast<std::uint64_t>(opts_.slow_start.count()))
                                 : std::string("off"),
        opts_.panic == routing::panic_rule::fail_open ? "fail open" : "fail closed");
    return true;
}

// ---------------------------------------------------------------------------------------------
// the routing table

void checker::on_message(tables_message& m) noexcept {
    // The control thread frees the table we drop only after we have acknowledged the new one.
    if (!m.snap || draining_) return;
    snap_ = std::move(m.snap);
    rebuild(core_.now_ms());
}

const routing::backend* checker::backend_at(std::uint32_t slot) const noexcept {
    if (!snap_ || slot >= snap_->index_by_slot.size() || snap_->index_by_slot[slot] < 0)
        return nullptr;
    return &snap_->backends[static_cast<std::size_t>(snap_->index_by_slot[slot])];
}

void checker::rebuild(std::uint64_t now) noexcept {
    if (!snap_) return;
    if (backends_.size() < snap_->slot_capacity) backends_.resize(snap_->slot_capacity);
    const std::uint32_t stamp = ++rebuilds_;
    candidates_ = 0;
    double rate = 0;
    for (const routing::backend& b : snap_->backends) {
        backend_entry& e = backends_[b.slot];
        // A slot given to another id, or a backend the operator disabled, starts afresh: the
        // operator's word puts it in service, its checks take it from there.
        if (e.generation != b.generation || !b.healthy) forget(b.slot, e);
        e.generation = b.generation;
        e.seen = stamp;
        e.candidate = b.healthy && !b.draining;
        candidates_ += e.candidate;
        std::shared_ptr<const check_spec> spec =
            b.health_check >= 0 &&
                    static_cast<std::size_t>(b.health_check) < snap_->health_checks.size()
                ? spec_for(opts_, snap_->health_checks[static_cast<std::size_t>(b.health_check)],
                           b.address)
                : default_spec_;
        bool was_checked = e.checked;
        std::uint32_t old_interval = e.spec ? e.spec->timing.interval_ms : 0;
        e.spec = std::move(spec);
        e.address = b.address;
        // Draining backends are checked too: their bound clients stay while they are up.
        e.checked = b.healthy && e.spec->timing.interval_ms != 0;
        if (e.checked) rate += 1000.0 / e.spec->timing.interval_ms;
        if (e.checked && (!was_checked || e.spec->timing.interval_ms != old_interval)) {
            // Its first check (or its first at a new interval) at a fixed fraction of the
            // interval: spread by slot over the whole interval.
            std::uint64_t phase =
                (static_cast<std::uint64_t>(b.slot) * 2654435761u) % e.spec->timing.interval_ms;
            schedule(b.slot, e, now + phase);
        } else if (!e.checked) {
            ++e.seq;  // voids a queued check
        }
    }
    pacer_.set_rate(rate);
    // Backends gone from the table: their slot's view and board cell go back to "no opinion".
    for (std::uint32_t slot = 0; slot < backends_.size(); ++slot) {
        backend_entry& e = backends_[slot];
        if (e.generation != 0 && e.seen != stamp) {
            forget(slot, e);
            e.generation = 0;
            board_.cell(slot).generation.store(0, std::memory_order_relaxed);
        }
    }
    out_ = ejected_ = 0;
    for (std::uint32_t slot = 0; slot < backends_.size(); ++slot) {
        backend_entry& e = backends_[slot];
        e.counted_out = e.counted_ejected = false;
        if (e.generation != 0) publish(slot, e, service_change::none, 0);
    }
    update_panic();
}

void checker::forget(std::uint32_t slot, backend_entry& e) noexcept {
    ++e.seq;
    ++e.eject_seq;
    e.health = backend_health{};
    e.checked = false;
    e.waiting = false;
    e.in_flight = false;  // a check of the previous occupant still running is ignored
    if (passive_) passive_->reset(slot);
    if (e.level != routing::health_view::full) view_->set(slot, routing::health_view::full);
    e.level = routing::health_view::full;
}

void checker::schedule(std::uint32_t slot, backend_entry& e, std::uint64_t at) noexcept {
    ++e.seq;
    events_.push({at, slot, e.seq, event_kind::check});
}

std::uint64_t checker::jitter(std::uint32_t jitter_ms) noexcept {
    if (jitter_ms == 0) return 0;
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_ % (static_cast<std::uint64_t>(jitter_ms) + 1);
}

// ---------------------------------------------------------------------------------------------
// the timetable

void checker::after_batch() noexcept {
    if (draining_) return;
    std::uint64_t now = core_.now_ms();
    start_waiting();
    run_due(now);
    update_ramps(now);
    arm_pace(now);
}

void checker::run_due(std::uint64_t now) noexcept {
    while (!events_.empty()) {
        const timed_event& top = events_.top();
        // Checks may start a little early (one wake-up serves the next few milliseconds);
        // deadlines and ejection ends are kept to the millisecond.
        std::uint64_t horizon = top.kind == event_kind::check ? now + pace_slack_ms : now;
        if (top.at_ms > horizon) break;
        timed_event ev = events_.pop();
        switch (ev.kind) {
            case event_kind::check:
                on_check_due(ev);
                break;
            case event_kind::deadline:
                on_deadline(ev);
                break;
            case event_kind::ejection:
                on_ejection_due(ev, now);
                break;
        }
    }
}

void checker::on_check_due(const timed_event& ev) noexcept {
    if (ev.id >= backends_.size()) return;
    backend_entry& e = backends_[ev.id];
    if (ev.seq != e.seq || !e.checked || e.in_flight || e.waiting) return;
    bool full = in_flight_ >= probes_->capacity();
    // Every place taken (slow or silent backends), or, after a stall (a starved thread, a paused
    // VM), more checks overdue than twice the table's rate allows at once: wait in order.
    if (full || !waiting_.empty() || !pacer_.try_take(core_.now_ms())) {
        e.waiting = true;
        waiting_.push_back(ev.id);
        if (full) board_.deferred.add();
        return;
    }
    start_probe(ev.id, e);
}

void checker::start_waiting() noexcept {
    const std::uint64_t now = core_.now_ms();
    while (!waiting_.empty() && in_flight_ < probes_->capacity() && !draining_) {
        std::uint32_t slot = waiting_.front();
        backend_entry& e = backends_[slot];
        if (e.waiting && e.checked && !e.in_flight && !pacer_.try_take(now)) return;
        waiting_.pop_front();
        if (!e.waiting) continue;
        e.waiting = false;
        if (e.checked && !e.in_flight) start_probe(slot, e);
    }
}

void checker::arm_pace(std::uint64_t now) noexcept {
    std::uint64_t next = UINT64_MAX;
    if (!events_.empty()) next = events_.top().at_ms;
    if (!ramping_.empty()) next = std::min(next, next_ramp_ms_);
    // Checks held back by the pacer resume when it has a start to give (those held back for a
    // place resume when a check ends).
    if (!waiting_.empty() && in_flight_ < probes_->capacity())
        next = std::min(next, now + std::max<std::uint64_t>(pacer_.wait_ms(), 1));
    if (next == UINT64_MAX) return;
    if (pace_armed_ && pace_at_ms_ <= next) return;  // one fires soon enough already
    std::uint64_t in = next > now ? next - now : 1;
    pace_ts_.tv_sec = static_cast<long long>(in / 1000);
    pace_ts_.tv_nsec = static_cast<long long>(in % 1000) * 1000000;
    ++pace_gen_;
    pace_armed_ = true;
    pace_at_ms_ = now + in;
    core_.io().prep_timeout(&pace_ts_, make_tag<family>(health_op::pace, 0, pace_gen_));
}

void checker::on_completion(const completion& c) noexcept {
    const op_tag t = op_tag::decode(c.user_data);
    switch (static_cast<health_op>(t.op)) {
        case health_op::pace:
            if (t.gen == pace_gen_) pace_armed_ = false;
            return;
        case health_op::passive:
            on_passive(t.slot, t.gen, c.res);
            return;
        case health_op::cancel:
        case health_op::close:
            // Posted only on failure: a cancel that found nothing left is normal.
            if (c.res < 0 && c.res != -ENOENT && c.res != -EALREADY)
                log::debug("health check {} failed: {}",
                           t.op == std::uint8_t(health_op::cancel) ? "cancel" : "close", -c.res);
            return;
        default:
            on_probe_completion(static_cast<health_op>(t.op), t, c);
            return;
    }
}

// ---------------------------------------------------------------------------------------------
// decisions

void checker::on_check_result(std::uint32_t slot, std::uint32_t gen, check_result r,
                              std::uint64_t micros, std::uint64_t started_ms) noexcept {
    if (slot >= backends_.size()) return;
    backend_entry& e = backends_[slot];
    if (e.generation != gen) return;  // the slot went to another backend meanwhile
    e.in_flight = false;
    health_cell& cell = board_.cell(slot);
    cell.checks[std::size_t(r)].add();
    board_.record_duration(slot, micros);
    if (!e.checked) return;
    std::uint64_t now = core_.now_ms();
    service_change change = e.health.on_check(r == check_result::passed, now, e.spec->timing);
    if (change == service_change::returned) {
        ++e.eject_seq;  // its queued ejection end is void
        if (passive_) passive_->reset(slot);
    }
    publish(slot, e, change, static_cast<std::uint8_t>(r));
    const check_timing& t = e.spec->timing;
    // The next check an interval after this one started, moved by up to ±jitter/2.
    std::uint64_t next =
        started_ms + e.health.active().next_interval_ms(t) + jitter(t.jitter_ms) - t.jitter_ms / 2;
    schedule(slot, e, std::max(next, now));
}

void checker::on_passive(std::uint32_t slot, std::uint32_t gen, std::int32_t res) noexcept {
    board_.passive_reports.add();
    if (draining_ || slot >= backends_.size()) return;
    backend_entry& e = backends_[slot];
    if (e.generation != gen || e.generation == 0) return;
    std::uint8_t why =
        static_cast<std::uint8_t>(res >= 0 && res < std::int32_t(passive_failure::count_)
                                      ? res
                                      : std::int32_t(passive_failure::other));
    if (!e.candidate || !e.health.in_service()) {
        // Out of service already, or not selectable: nothing to eject; count afresh.
        if (passive_) passive_->reset(slot);
        return;
    }
    std::uint64_t now = core_.now_ms();
    std::uint32_t cap = ejection_cap(candidates_, opts_.eject_max_percent);
    if (ejected_ >= cap) {
        board_.ejections_capped.add();
        if (now >= cap_log_ms_ + log_interval_ms || cap_log_ms_ == 0) {
            const routing::backend* b = backend_at(slot);
            log::warn(
                "backend {} fails in live traffic ({} in a row, last: {}) but stays in service: "
                "{} of {} backends are ejected already (--eject-max-percent {})",
                b ? b->id : std::to_string(slot), passive_ ? passive_->failures(slot) : 0,
                passive_failure_names[why], ejected_, candidates_, opts_.eject_max_percent);
            cap_log_ms_ = now;
        }
        return;
    }
    std::uint64_t length = e.health.eject(now, ejection_);
    board_.cell(slot).ejections.add();
    if (passive_) passive_->reset(slot);
    ++e.eject_seq;
    events_.push({now + length, slot, e.eject_seq, event_kind::ejection});
    publish(slot, e, service_change::ejected, why);
}

void checker::on_ejection_due(const timed_event& ev, std::uint64_t now) noexcept {
    if (ev.id >= backends_.size()) return;
    backend_entry& e = backends_[ev.id];
    if (ev.seq != e.eject_seq || !e.health.ejected()) return;
    service_change change = e.health.on_time(now);
    if (passive_) passive_->reset(ev.id);
    publish(ev.id, e, change, 0);
}

void checker::update_ramps(std::uint64_t now) noexcept {
    if (ramping_.empty() || now < next_ramp_ms_) return;
    auto ramp = static_cast<std::uint64_t>(opts_.slow_start.count());
    std::erase_if(ramping_, [&](std::uint32_t slot) {
        backend_entry& e = backends_[slot];
        std::uint8_t level = e.health.level(now, ramp);
        bool over = level == routing::health_view::full || level == routing::health_view::out ||
                    e.generation == 0;
        // A check's publication may have written the last level already: the end of the ramp is
        // told here, once, when it leaves the list.
        bool done = over && level == routing::health_view::full && e.generation != 0;
        if (level != e.level || done)
            publish(slot, e, done ? service_change::ramp_done : service_change::none, 0);
        if (over) e.ramping = false;
        return over;
    });
    next_ramp_ms_ = now + std::max(ramp / 64, min_ramp_step_ms);
}

// ---------------------------------------------------------------------------------------------
// publication

void checker::publish(std::uint32_t slot, backend_entry& e, service_change change,
                      std::uint8_t reason) noexcept {
    const std::uint64_t now = core_.now_ms();
    const auto ramp = static_cast<std::uint64_t>(opts_.slow_start.count());
    std::uint8_t level = e.health.level(now, ramp);
    if (level != e.level) {
        view_->set(slot, level);
        e.level = level;
    }
    if (level != routing::health_view::full && level != routing::health_view::out && !e.ramping) {
        e.ramping = true;
        if (ramping_.empty()) next_ramp_ms_ = now + std::max(ramp / 64, min_ramp_step_ms);
        ramping_.push_back(slot);
    }
    // The counts behind the ejection cap and the panic gauge: candidates only.
    bool out = e.candidate && level == routing::health_view::out;
    bool ejected = e.candidate && e.health.ejected();
    if (out != e.counted_out) out_ += out ? 1 : std::uint32_t(-1);
    if (ejected != e.counted_ejected) ejected_ += ejected ? 1 : std::uint32_t(-1);
    e.counted_out = out;
    e.counted_ejected = ejected;

    health_cell& cell = board_.cell(slot);
    health_state st = state_of(e.health, level);
    if (cell.generation.load(std::memory_order_relaxed) != e.generation ||
        cell.state.load(std::memory_order_relaxed) != std::uint8_t(st)) {
        cell.since_ms.store(now, std::memory_order_relaxed);
        cell.state.store(std::uint8_t(st), std::memory_order_relaxed);
        cell.generation.store(e.generation, std::memory_order_relaxed);
    }
    cell.level.store(level, std::memory_order_relaxed);
    cell.in_row.store(e.health.active().in_row(), std::memory_order_relaxed);
    if (change == service_change::went_down || change == service_change::ejected)
        cell.reason.store(reason, std::memory_order_relaxed);
    cell.until_ms.store(e.health.passive().until_ms(), std::memory_order_relaxed);
    cell.ejection_ms.store(static_cast<std::uint32_t>(e.health.passive().length_ms()),
                           std::memory_order_relaxed);
    board_.out_of_service.set(out_);

    if (change == service_change::none) return;
    const routing::backend* b = backend_at(slot);
    std::string who = b ? fmt::format("backend {} ({})", b->id, to_string(b->address))
                        : fmt::format("backend slot {}", slot);
    std::string ramping = level != routing::health_view::full && level != routing::health_view::out
                              ? fmt::format("; slow start over {}", ms_text(ramp))
                              : std::string();
    const check_timing& t = e.spec ? e.spec->timing : default_spec_->timing;
    switch (change) {
        case service_change::went_down:
            log::warn("{} is down: {} checks failed in a row (last: {}; check: {})", who, t.fall,
                      check_result_names[reason], describe(e.spec ? *e.spec : *default_spec_));
            break;
        case service_change::went_up:
            log::info("{} is up: {} checks passed in a row{}", who, t.rise, ramping);
            break;
        case service_change::ejected:
            log::warn(
                "{} ejected for {}: {} failures in a row in live traffic (last: {}); ejection {} "
                "in a row",
                who, ms_text(e.health.passive().length_ms()), passive_ ? passive_->threshold() : 0,
                passive_failure_names[reason], e.health.passive().multiplier());
            break;
        case service_change::returned:
            log::info("{} is back in service after its ejection{}", who, ramping);
            break;
        case service_change::ramp_done:
            log::info("{} is at full weight: slow start over", who);
            break;
        case service_change::none:
            break;
    }
    update_panic();
}

void checker::update_panic() noexcept {
    bool panic = candidates_ > 0 && out_ >= candidates_;
    board_.panic.set(panic ? 1 : 0);
    if (panic == panic_) return;
    panic_ = panic;
    if (panic)
        log::error("every one of the {} selectable backends is down or ejected: {}", candidates_,
                   view_->panic() == routing::panic_rule::fail_open
                       ? "failing open, clients go to all of them as if none were checked "
                         "(--health-panic open)"
                       : "clients are refused (--health-panic closed)");
    else
        log::info("a backend is in service again: health decides selection again");
}

void checker::start_drain() noexcept {
    draining_ = true;
    if (passive_) passive_->attach(-1);
    waiting_.clear();
    // Checks in flight end now; their results are not recorded.
    for (std::uint32_t i = 0; i < probes_->high_water(); ++i) {
        if (!probes_->in_use(i)) continue;
        probe& p = (*probes_)[i];
        if (!p.done) finish_probe(i, p, check_result::other);
    }
}

}  // namespace edge::engine::health
