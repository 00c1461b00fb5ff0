#pragma once
// One backend's health on this POP as the checker keeps it: its active-check hysteresis, its
// passive ejection, and the slow-start ramp that follows a return to service. Effective health is
// the conjunction "active check up AND not ejected" (routing.db's `healthy` is applied by
// selection itself: an operator-disabled backend is no candidate). Pure: the checker passes
// results and times in, and reads back the transition each caused and the level to publish.

#include <cstdint>

#include "engine/health/check_state.hpp"
#include "engine/health/ejection.hpp"

namespace edge::engine::health {

/// What an event did to a backend's service, for the log line and the metrics.
enum class service_change : std::uint8_t {
    none,
    went_down,  // its checks failed `fall` times: out of service
    went_up,    // its checks passed `rise` times: back (slow start begins)
    ejected,    // passive ejection: out of service for a time
    returned,   // the ejection ended (time ran out, or a check passed): back in service
    ramp_done,  // slow start finished: full weight
};

class backend_health {
  public:
    /// In service at full weight: a backend starts on the operator's word.
    backend_health() = default;

    /// Records an active check's result at `now`. A pass also ends a passive ejection.
    service_change on_check(bool passed, std::uint64_t now, const check_timing& t) noexcept;
    /// Ejects at `now` (the caller has checked the cap); returns the ejection's length.
    std::uint64_t eject(std::uint64_t now, const ejection_policy& p) noexcept;
    /// Ends an ejection whose time has run out by `now`.
    service_change on_time(std::uint64_t now) noexcept;

    /// Effective health on this POP: its checks up and not ejected.
    bool in_service() const noexcept { return active_.up() && !passive_.ejected(); }
    /// Out for passive failures now.
    bool ejected() const noexcept { return passive_.ejected(); }
    /// Its active checks say up (whatever passive ejection says).
    bool checks_up() const noexcept { return active_.up(); }
    /// The two halves, for status and scheduling.
    const check_state& active() const noexcept { return active_; }
    const ejection_state& passive() const noexcept { return passive_; }

    /// The routing::health_view level at `now` for a slow start of `ramp_ms`: 255 out of
    /// service, 254..1 ramping, 0 full weight.
    std::uint8_t level(std::uint64_t now, std::uint64_t ramp_ms) const noexcept;
    /// True while a slow start is under way at `now`.
    bool ramping(std::uint64_t now, std::uint64_t ramp_ms) const noexcept {
        return in_service() && ramp_from_ != 0 && now < ramp_from_ + ramp_ms;
    }

  private:
    void back_in_service(std::uint64_t now) noexcept { ramp_from_ = now ? now : 1; }

    check_state active_;
    ejection_state passive_;
    std::uint64_t ramp_from_ = 0;  // when it last came back into service (0: never)
};

}  // namespace edge::engine::health
