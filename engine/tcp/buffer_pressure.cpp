// Keeping the worker's shared buffer pool from running dry (issue: clients that send and never
// read). The kernel fills pool buffers for whichever receive is armed, and bytes waiting for a
// slow reader keep theirs until sent; without a policy, a few hundred such readers hold the whole
// pool and every other connection of the worker stalls on ENOBUFS.
//
// The policy, by the pool's free buffers out of N:
//   comfortable  free >= N/2  a direction may queue --max-inflight bytes before its receive
//                             pauses (backpressure on its writer).
//   low          free <  N/2  it may queue two buffers' worth: slow directions stop taking more.
//   relief       free <  N/4  after a batch of completions: the directions that hold the most
//                             pool buffers and wait on a slow reader move their bytes to spill
//                             buffers (plain memory, engine/uring/buffer_queue.hpp) and pause
//                             their receive, until N/2 is free again. A send stalled in the
//                             kernel is cancelled first (it has sent nothing: sends go without
//                             MSG_WAITALL) and re-issued from spill.
//   dry          spill full   the connection holding the most pool buffers is closed with a
//                             reset (close reason "evicted", logged at most once per interval).
// Receives that met an empty pool (ENOBUFS) wait on a list and are re-armed as buffers come back,
// as many as the free buffers can serve, those that have received the least first (a new
// connection before a bulk flow); and while they wait with the pool dry, the armed receives that
// have taken the most step aside (yield_to_starved) so that returned buffers reach the waiting
// ones instead of going straight back to the heaviest flows. So a new or well-behaved connection
// always gets buffers within a few returns, by construction rather than by tuning; a slow reader
// costs at most its queued bytes in spill memory, which is reserved once and resident only while
// used.

#include <algorithm>

#include "base/log.hpp"
#include "engine/tcp/tcp_proxy.hpp"

namespace edge::engine {

namespace {

/// A send issued this recently is moving, not stalled: relief leaves it alone.
constexpr std::uint32_t stalled_send_ms = 20;
/// Relief scans the connection table; under sustained pressure it runs at most this often.
constexpr std::uint64_t relief_interval_ms = 10;
/// A receive steps aside for starved ones only if it has taken this much more than they have.
constexpr std::uint64_t yield_margin_bytes = 256 * 1024;
/// Receives that step aside in one pass (each frees a bundle's worth as its sends complete).
constexpr std::size_t max_yields_per_pass = 16;

/// The buffers one re-armed receive is counted as needing. A receive may take a whole bundle
/// (max_send_iov), but a small pool is counted by its size: re-arming waits for two of these
/// free, and that must never be more than the N/8 below which eviction acts. Otherwise a pool of
/// fewer than 128 buffers could sit with its free count between the two (8 of 32 free, say),
/// where no receive is re-armed, nothing spills or is evicted, and a new client waits for a slow
/// reader to leave (found by the eviction test with --buffers 32).
unsigned rearm_share(unsigned pool_count) noexcept {
    return std::clamp(pool_count / 16, 1u, max_send_iov);
}

}  // namespace

std::uint32_t tcp_proxy::allowance() const noexcept {
    if (pool_->free_count() * 2 >= pool_->count()) return cfg_.max_inflight;
    return std::min<std::uint32_t>(cfg_.max_inflight, 2 * pool_->size());
}

void tcp_proxy::on_enobufs(std::uint32_t slot, unsigned side) noexcept {
    // The pool is empty: wait on the starved list until buffers come back.
    metrics_.enobufs.add();
    (*conns_)[slot].half[side].recv_starved = true;
    starved_.push_back(tag(tcp_op::recv, slot, side));
}

void tcp_proxy::after_batch() noexcept {
    if (!starved_.empty()) {
        rearm_starved();
        // Still waiting, and every buffer that comes back is taken at once by the receives that
        // are armed: some of the heaviest of those step aside (below).
        if (!starved_.empty() && pool_->free_count() < 2 * rearm_share(pool_->count()) &&
            core_.now_ms() >= last_yield_ms_ + relief_interval_ms) {
            last_yield_ms_ = core_.now_ms();
            yield_to_starved();
        }
    }
    if (pool_->free_count() * 4 < pool_->count() &&
        core_.now_ms() >= last_relief_ms_ + relief_interval_ms) {
        last_relief_ms_ = core_.now_ms();
        relieve_pressure();
    }
    metrics_.spill_buffers_used.set(store_->spill_used());
}

void tcp_proxy::rearm_starved() noexcept {
    // Re-arm only as many receives as the free buffers can serve (one share each): re-arming
    // every starved receive at once sends them all racing for the same few buffers, and all but
    // a few meet ENOBUFS again. A direction that already holds its allowance waits for its reader
    // instead (it is paused, and resumes when its queue drains), so it cannot crowd out others.
    const unsigned bundle = rearm_share(pool_->count());
    const unsigned free = pool_->free_count();
    std::size_t budget = free >= 2 * bundle ? (free - bundle) / bundle : 0;
    if (budget == 0) return;
    const std::uint32_t allowed = allowance();
    std::size_t kept = 0;
    for (std::uint64_t t : starved_) {
        op_tag d = op_tag::decode(t);
        if (!conns_->is_current(d.slot, d.gen)) continue;
        conn& cn = (*conns_)[d.slot];
        relay_half& h = cn.half[d.dir];
        if (cn.state == conn_state::closing || !h.recv_starved) continue;
        if (h.queue.bytes >= allowed) {
            h.recv_starved = false;
            h.recv_paused = true;
            continue;
        }
        starved_[kept++] = t;
    }
    starved_.resize(kept);
    // Those that have received the least go first: a new connection (nothing received yet), or
    // a request-sized exchange, before a bulk flow that has had its share of the pool.
    auto received = [this](std::uint64_t t) {
        op_tag d = op_tag::decode(t);
        return (*conns_)[d.slot].half[d.dir].bytes_in;
    };
    if (starved_.size() > budget)
        std::nth_element(starved_.begin(), starved_.begin() + static_cast<std::ptrdiff_t>(budget),
                         starved_.end(), [&](std::uint64_t a, std::uint64_t b) {
                             return received(a) < received(b);
                         });
    std::size_t n = std::min(budget, starved_.size());
    for (std::size_t i = 0; i < n; ++i) {
        op_tag d = op_tag::decode(starved_[i]);
        conn& cn = (*conns_)[d.slot];
        relay_half& h = cn.half[d.dir];
        h.recv_starved = false;
        if (!h.recv_armed && !h.recv_paused && !h.eof) arm_recv(d.slot, cn, d.dir);
    }
    starved_.erase(starved_.begin(), starved_.begin() + static_cast<std::ptrdiff_t>(n));
}

void tcp_proxy::yield_to_starved() noexcept {
    // The pool is dry and receives wait for it, while bulk flows' receives stay armed and take
    // every buffer that comes back. The armed receives that have taken the most so far step
    // aside: cancelled and put on the starved list themselves, where they come back after those
    // that have received less (rearm_starved). So a new connection waits for a few bundles to
    // come back, not for the bulk flows to finish.
    std::uint64_t least_waiting = UINT64_MAX;
    for (std::uint64_t t : starved_) {
        op_tag d = op_tag::decode(t);
        if (conns_->is_current(d.slot, d.gen))
            least_waiting = std::min(least_waiting, (*conns_)[d.slot].half[d.dir].bytes_in);
    }
    relief_candidates_.clear();
    for (std::uint32_t slot = 0; slot < conns_->high_water(); ++slot) {
        if (!conns_->in_use(slot)) continue;
        const conn& cn = (*conns_)[slot];
        if (cn.state == conn_state::closing) continue;
        for (std::uint8_t half = 0; half < 2; ++half) {
            const relay_half& h = cn.half[half];
            if (!h.recv_armed || h.recv_paused || h.recv_starved) continue;
            if (h.bytes_in <= least_waiting + yield_margin_bytes) continue;
            relief_candidates_.push_back({0, slot, half, h.bytes_in});
        }
    }
    std::size_t n = std::min<std::size_t>(relief_candidates_.size(), max_yields_per_pass);
    std::partial_sort(
        relief_candidates_.begin(), relief_candidates_.begin() + static_cast<std::ptrdiff_t>(n),
        relief_candidates_.end(), [](const relief_candidate& a, const relief_candidate& b) {
            return a.bytes_in > b.bytes_in;
        });
    for (std::size_t i = 0; i < n; ++i) {
        const relief_candidate& c = relief_candidates_[i];
        conn& cn = (*conns_)[c.slot];
        relay_half& h = cn.half[c.half];
        core_.io().prep_cancel(tag(tcp_op::recv, c.slot, c.half),
                               tag(tcp_op::cancel, c.slot, c.half));
        h.recv_starved = true;
        starved_.push_back(tag(tcp_op::recv, c.slot, c.half));
        metrics_.receive_yields.add();
    }
}

void tcp_proxy::relieve_pressure() noexcept {
    // Directions holding pool buffers that wait on a slow reader (or on a backend still
    // connecting), largest holders first.
    relief_candidates_.clear();
    const auto now = static_cast<std::uint32_t>(core_.now_ms());
    for (std::uint32_t slot = 0; slot < conns_->high_water(); ++slot) {
        if (!conns_->in_use(slot)) continue;
        conn& cn = (*conns_)[slot];
        if (cn.state == conn_state::closing) continue;
        for (std::uint8_t half = 0; half < 2; ++half) {
            const relay_half& h = cn.half[half];
            if (h.queue.pool_count == 0 || h.spill_after_send) continue;
            if (h.send_busy && now - h.send_since_ms < stalled_send_ms) continue;
            relief_candidates_.push_back({h.queue.pool_count, slot, half, h.bytes_in});
        }
    }
    std::sort(relief_candidates_.begin(), relief_candidates_.end(),
              [](const relief_candidate& a, const relief_candidate& b) {
                  return a.pool_buffers > b.pool_buffers;
              });
    unsigned projected = pool_->free_count();
    const unsigned target = pool_->count() / 2;
    for (const relief_candidate& c : relief_candidates_) {
        if (projected >= target) return;
        conn& cn = (*conns_)[c.slot];
        if (cn.state == conn_state::closing) continue;
        if (!spill_half(c.slot, cn, c.half)) {
            // Spill is full: the pool's reserve comes first. The biggest holder goes.
            if (pool_->free_count() * 8 < pool_->count()) evict_largest();
            return;
        }
        projected += c.pool_buffers;
    }
}

bool tcp_proxy::spill_half(std::uint32_t slot, conn& cn, unsigned half) noexcept {
    relay_half& h = cn.half[half];
    // Buffers a send in flight reads stay until the kernel lets go of them (after the cancel).
    unsigned keep = h.send_busy ? h.sending : 0;
    unsigned freed = store_->spill(h.queue, keep);
    metrics_.buffers_spilled.add(freed);
    if (freed > 0 || h.queue.pool_count > 0) metrics_.spills.add();
    bool complete = true;
    if (h.send_busy && h.queue.pool_count > 0) {
        if (store_->spill_free() >= h.sending) {
            core_.io().prep_cancel(tag(tcp_op::send, slot, half), tag(tcp_op::cancel, slot, half));
            h.spill_after_send = true;
        } else {
            complete = false;
        }
    } else if (h.queue.pool_count > 0) {
        complete = false;  // the spill area ran out mid-queue
    }
    // This direction waits on a slow reader: it takes no more pool buffers until it drains.
    if (h.recv_armed) pause_recv(slot, cn, half);
    return complete;
}

void tcp_proxy::evict_largest() noexcept {
    for (const relief_candidate& c : relief_candidates_) {
        conn& cn = (*conns_)[c.slot];
        if (!conns_->in_use(c.slot) || cn.state == conn_state::closing) continue;
        const std::uint64_t now = core_.now_ms();
        if (eviction_log_.last_ms == 0 || now >= eviction_log_.last_ms + log_interval_ms) {
            log::warn(
                "buffer pool and spill exhausted: closing client {} (holding {} buffers it does "
                "not read){}",
                to_string(cn.client), c.pool_buffers,
                eviction_log_.suppressed ? fmt::format("; {} more closed since the last report",
                                                       eviction_log_.suppressed)
                                         : std::string());
            eviction_log_.last_ms = now;
            eviction_log_.suppressed = 0;
        } else {
            ++eviction_log_.suppressed;
        }
        close_conn(c.slot, cn, close_reason::evicted);
        return;
    }
}

}  // namespace edge::engine
