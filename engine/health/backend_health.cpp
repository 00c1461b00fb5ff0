#include "engine/health/backend_health.hpp"

#include "routing/health_view.hpp"

namespace edge::engine::health {

service_change backend_health::on_check(bool passed, std::uint64_t now,
                                        const check_timing& t) noexcept {
    bool was = in_service();
    check_state::change c = active_.record(passed, t);
    // A check that reaches the backend clears a passive ejection at once: the failures that
    // earned it are over (Envoy's successful_active_health_check_uneject_host).
    bool unejected = false;
    if (passed && passive_.ejected()) {
        passive_.end(now);
        unejected = true;
    }
    bool is = in_service();
    if (!was && is) back_in_service(now);
    if (c == check_state::change::went_down) return service_change::went_down;
    if (c == check_state::change::went_up)
        return is ? service_change::went_up : service_change::none;
    if (unejected && is) return service_change::returned;
    return service_change::none;
}

std::uint64_t backend_health::eject(std::uint64_t now, const ejection_policy& p) noexcept {
    return passive_.eject(now, p);
}

service_change backend_health::on_time(std::uint64_t now) noexcept {
    if (!passive_.expired(now)) return service_change::none;
    passive_.end(now);
    if (!in_service()) return service_change::none;  // its checks say down meanwhile
    back_in_service(now);
    return service_change::returned;
}

std::uint8_t backend_health::level(std::uint64_t now, std::uint64_t ramp_ms) const noexcept {
    if (!in_service()) return routing::health_view::out;
    if (ramp_from_ == 0 || now < ramp_from_)
        return ramp_from_ == 0 ? 0 : routing::health_view::slowest;
    return routing::slow_start_level(now - ramp_from_, ramp_ms);
}

}  // namespace edge::engine::health
