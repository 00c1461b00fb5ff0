#include "wg/errors.hpp"

namespace edge::wg {

std::string_view error_name(error e) noexcept {
    switch (e) {
        case error::none:
            return "none";
        case error::bad_type:
            return "bad_type";
        case error::bad_length:
            return "bad_length";
        case error::bad_mac1:
            return "bad_mac1";
        case error::cookie_required:
            return "cookie_required";
        case error::rate_limited:
            return "rate_limited";
        case error::handshake_failed:
            return "handshake_failed";
        case error::unknown_peer:
            return "unknown_peer";
        case error::stale_timestamp:
            return "stale_timestamp";
        case error::initiation_flood:
            return "initiation_flood";
        case error::low_order_key:
            return "low_order_key";
        case error::unexpected_response:
            return "unexpected_response";
        case error::bad_cookie_reply:
            return "bad_cookie_reply";
        case error::unknown_index:
            return "unknown_index";
        case error::replay:
            return "replay";
        case error::decrypt_failed:
            return "decrypt_failed";
        case error::expired_keys:
            return "expired_keys";
        case error::disallowed_source:
            return "disallowed_source";
        case error::bad_inner_packet:
            return "bad_inner_packet";
        case error::no_route:
            return "no_route";
        case error::no_endpoint:
            return "no_endpoint";
        case error::no_session:
            return "no_session";
        case error::staged_dropped:
            return "staged_dropped";
        case error::buffer_too_small:
            return "buffer_too_small";
        case error::too_large:
            return "too_large";
        case error::count_:
            break;
    }
    return "unknown";
}

}  // namespace edge::wg
