#pragma once
// A token bucket on check starts. Checks are spread over their interval by the timetable; this
// keeps them spread when the timetable cannot be kept: after the checker's thread was not run for
// a while (a loaded machine, a paused VM), every check that fell due meanwhile is overdue at
// once, and without it they would all start in one wake-up. With it they start at no more than
// twice the table's own rate (the sum of 1/interval over the checked backends), from a bucket
// holding 20 ms of that rate (at least 8). Pure: the caller passes the time in.

#include <algorithm>
#include <cstdint>

namespace edge::engine::health {

class pacer {
  public:
    /// The table checks `per_second` backends a second on average. Checker thread.
    void set_rate(double per_second) noexcept {
        rate_per_ms_ = 2.0 * per_second / 1000.0;
        capacity_ = std::max(8.0, per_second * 0.02);
        tokens_ = std::min(tokens_, capacity_);
    }

    /// Takes a start at `now_ms`; false when none is left (wait_ms() says for how long).
    bool try_take(std::uint64_t now_ms) noexcept {
        if (rate_per_ms_ <= 0) return true;
        if (now_ms > last_ms_) {
            tokens_ = std::min(capacity_,
                               tokens_ + static_cast<double>(now_ms - last_ms_) * rate_per_ms_);
            last_ms_ = now_ms;
        }
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

    /// Milliseconds until the next start may be taken (after a refused try_take).
    std::uint64_t wait_ms() const noexcept {
        if (rate_per_ms_ <= 0 || tokens_ >= 1.0) return 0;
        return static_cast<std::uint64_t>((1.0 - tokens_) / rate_per_ms_) + 1;
    }

  private:
    double rate_per_ms_ = 0;
    double capacity_ = 8;
    double tokens_ = 8;
    std::uint64_t last_ms_ = 0;
};

}  // namespace edge::engine::health
