#include "wg/timers.hpp"

#include <algorithm>

namespace edge::wg {

time_ns peer_timers::earliest() const noexcept {
    return std::min(
        {retransmit_handshake, send_keepalive, new_handshake, zero_keys, persistent_keepalive});
}

}  // namespace edge::wg
