#pragma once
// Active-check hysteresis of one backend (HAProxy's rise/fall): an up backend goes down after
// `fall` failed checks in a row, a down one comes up after `rise` passed checks in a row, and
// the next check comes sooner while the state is changing (one failure seen while up, or one pass
// while down) and later while down. Pure: no clock, no I/O; the caller passes results in.

#include <cstdint>

namespace edge::engine::health {

/// When and how often one backend is checked (the flags, or its health_checks row).
struct check_timing {
    std::uint32_t interval_ms = 2000;  // between checks while the state is settled (0: none)
    std::uint32_t fast_ms = 500;       // while the state is changing
    std::uint32_t down_ms = 4000;      // while down
    std::uint32_t timeout_ms = 1000;   // connect plus the whole exchange
    std::uint32_t jitter_ms = 200;     // each interval moves by up to ±jitter/2 at random
    std::uint32_t rise = 2;
    std::uint32_t fall = 3;
    friend bool operator==(const check_timing&, const check_timing&) = default;
};

class check_state {
  public:
    enum class change : std::uint8_t { none, went_down, went_up };

    /// Up with no result yet: a backend starts in service on the operator's word, as HAProxy's
    /// servers do, and needs `fall` failures to go down.
    check_state() = default;

    /// Records one check's result; returns the transition it caused.
    change record(bool passed, const check_timing& t) noexcept;
    /// Its checks say up (the initial state).
    bool up() const noexcept { return up_; }
    /// Up: failed checks in a row; down: passed checks in a row.
    std::uint32_t in_row() const noexcept { return in_row_; }
    /// A result against the state was seen and the state has not turned yet.
    bool changing() const noexcept { return in_row_ != 0; }
    /// Milliseconds to the next check: fast while changing, the down interval while down, else
    /// the interval.
    std::uint32_t next_interval_ms(const check_timing& t) const noexcept;

  private:
    bool up_ = true;
    std::uint32_t in_row_ = 0;
};

}  // namespace edge::engine::health
