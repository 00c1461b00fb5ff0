#pragma once
// Effective backend health as selection reads it (issue 14): one byte per backend slot, written by
// the health checker (engine/health/) and read by every worker's select_backend and
// bound_backend. It is this POP's own view: it is never written into routing.db, whose `healthy`
// column stays the operator's word (a backend the operator disabled is not a candidate at all).
//
// A slot's byte:
//   0         in service at full weight. Fresh memory reads 0, so a slot the checker has not
//             judged (or a proxy without checks) routes exactly as routing.db says.
//   1..254    in service during slow start: its weight counts as weight·(256 − v)/256, both in the
//             load term of the score and in its share of ties.
//   255       out of service: its active check says down, or it is ejected for passive failures.
//
// The panic rule says what selection does when every candidate a client could use is out of
// service (design brief §5 tiers are spilled first: a down backend of the best tier simply loses
// to the next tier's in-service ones).

#include <atomic>
#include <cstdint>
#include <memory>

namespace edge::routing {

/// What selection does when no candidate in any tier is in service (README: "Health checks").
enum class panic_rule : std::uint8_t {
    /// Select among all candidates as if none were checked (Envoy's panic mode; HAProxy and nginx
    /// behave alike when every server is down): a checker's false "down" (a wrong expect, a
    /// broken check path) cannot take a whole POP off the air, and a truly dead backend still
    /// fails over on connect.
    fail_open,
    /// Select none: clients are closed (edge_connections_rejected_total{reason="no_backend"}).
    fail_closed,
};

class health_view {
  public:
    static constexpr std::uint8_t full = 0;
    static constexpr std::uint8_t out = 255;
    /// The deepest slow-start level: a backend just back in service carries 2/256 of its weight.
    static constexpr std::uint8_t slowest = 254;

    /// A view of `capacity` slots (the registry's capacity), all in service. Start-up.
    health_view(std::uint32_t capacity, panic_rule rule);

    /// The slot's level (0, 1..254 or 255); 0 for a slot beyond the capacity. Any thread.
    std::uint8_t level(std::uint32_t slot) const noexcept {
        return slot < capacity_ ? levels_[slot].load(std::memory_order_relaxed) : full;
    }
    /// True when the slot is out of service. Any thread.
    bool is_out(std::uint32_t slot) const noexcept { return level(slot) == out; }
    /// Sets the slot's level. The health checker's thread only (the one writer).
    void set(std::uint32_t slot, std::uint8_t level) noexcept {
        if (slot < capacity_) levels_[slot].store(level, std::memory_order_relaxed);
    }
    /// What selection does when no candidate is in service. Any thread.
    panic_rule panic() const noexcept { return panic_; }
    /// Slots this view covers (the registry's capacity). Any thread.
    std::uint32_t capacity() const noexcept { return capacity_; }

  private:
    // Sanctioned sharing (design §3): written only by the health checker's thread, and only when
    // a backend's effective state or slow-start step changes; read by every worker's selection
    // with relaxed loads. A byte read a moment late routes one connection by the previous state,
    // which connect failover absorbs; no other memory is published through it. One byte per
    // backend keeps the scan over 100 candidates within two cache lines that stay shared.
    std::unique_ptr<std::atomic<std::uint8_t>[]> levels_;
    std::uint32_t capacity_;
    panic_rule panic_;
};

/// The slow-start level for a backend `elapsed_ms` into a ramp of `ramp_ms`: slowest at 0, then
/// linearly towards full weight, full (0) once the ramp is over or when there is none. Any thread.
std::uint8_t slow_start_level(std::uint64_t elapsed_ms, std::uint64_t ramp_ms) noexcept;

/// The weight share (1/256 .. 256/256) of a level, as selection applies it. Any thread.
constexpr std::uint32_t level_share(std::uint8_t level) noexcept {
    return 256u - level;
}

}  // namespace edge::routing
