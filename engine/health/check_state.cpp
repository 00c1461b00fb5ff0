#include "engine/health/check_state.hpp"

namespace edge::engine::health {

check_state::change check_state::record(bool passed, const check_timing& t) noexcept {
    // A result that agrees with the state clears the run against it.
    if (passed == up_) {
        in_row_ = 0;
        return change::none;
    }
    ++in_row_;
    if (up_ && in_row_ >= (t.fall ? t.fall : 1)) {
        up_ = false;
        in_row_ = 0;
        return change::went_down;
    }
    if (!up_ && in_row_ >= (t.rise ? t.rise : 1)) {
        up_ = true;
        in_row_ = 0;
        return change::went_up;
    }
    return change::none;
}

std::uint32_t check_state::next_interval_ms(const check_timing& t) const noexcept {
    if (changing()) return t.fast_ms;
    return up_ ? t.interval_ms : t.down_ms;
}

}  // namespace edge::engine::health
