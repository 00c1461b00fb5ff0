#include "engine/host/connect_error.hpp"

#include <cerrno>

namespace edge::engine {

connect_failure classify_connect_error(int err) noexcept {
    switch (err) {
        case ECONNREFUSED:
            return connect_failure::refused;
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
            return connect_failure::unreachable;
        case ECONNRESET:
        case ECONNABORTED:
        case EPIPE:
            return connect_failure::reset;
        case ECANCELED:  // a linked timeout fired, or a deadline cancelled the operation
        case ETIMEDOUT:  // the kernel's own SYN retries ran out first
            return connect_failure::timeout;
        default:
            return connect_failure::other;
    }
}

}  // namespace edge::engine
