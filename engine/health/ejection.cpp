#include "engine/health/ejection.hpp"

#include <algorithm>

namespace edge::engine::health {

std::uint64_t ejection_state::eject(std::uint64_t now, const ejection_policy& p) noexcept {
    std::uint64_t base = std::max<std::uint64_t>(p.base_ms, 1);
    // The multiplier decays by one per base time spent in service since the last ejection.
    if (returned_ms_ != 0 && now > returned_ms_) {
        std::uint64_t quiet = (now - returned_ms_) / base;
        multiplier_ = quiet >= multiplier_ ? 0 : multiplier_ - static_cast<std::uint32_t>(quiet);
    }
    if (multiplier_ < UINT32_MAX) ++multiplier_;
    std::uint64_t cap = std::max(p.max_ms, base);
    length_ms_ = multiplier_ > cap / base ? cap : base * multiplier_;
    until_ms_ = now + length_ms_;
    return length_ms_;
}

void ejection_state::end(std::uint64_t now) noexcept {
    if (!ejected()) return;
    until_ms_ = 0;
    returned_ms_ = now ? now : 1;
}

std::uint32_t ejection_cap(std::uint32_t candidates, std::uint32_t max_percent) noexcept {
    if (candidates == 0) return 0;
    std::uint64_t n = static_cast<std::uint64_t>(candidates) * std::min(max_percent, 100u) / 100;
    return static_cast<std::uint32_t>(std::max<std::uint64_t>(n, 1));
}

}  // namespace edge::engine::health
