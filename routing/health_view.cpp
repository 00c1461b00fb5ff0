#include "routing/health_view.hpp"

namespace edge::routing {

health_view::health_view(std::uint32_t capacity, panic_rule rule)
    : levels_(new std::atomic<std::uint8_t>[capacity]), capacity_(capacity), panic_(rule) {
    for (std::uint32_t i = 0; i < capacity; ++i)
        levels_[i].store(full, std::memory_order_relaxed);
}

std::uint8_t slow_start_level(std::uint64_t elapsed_ms, std::uint64_t ramp_ms) noexcept {
    if (ramp_ms == 0 || elapsed_ms >= ramp_ms) return health_view::full;
    // share = 2 + 254·elapsed/ramp (in 256ths), so the level walks from 254 down to 1 and the
    // ramp ends at full weight, never at a step below it.
    std::uint64_t share = 2 + (254 * elapsed_ms) / ramp_ms;
    if (share > 255) share = 255;
    return static_cast<std::uint8_t>(256 - share);
}

}  // namespace edge::routing
