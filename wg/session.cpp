#include "wg/session.hpp"

#include <algorithm>

namespace edge::wg {

session::dropped session::install_initiated(std::shared_ptr<keypair> kp) noexcept {
    dropped out;
    if (next_) {
        // The responder keypair never confirmed becomes previous (it may still receive: the
        // simultaneous-initiation case); the current one goes.
        out[0] = std::move(previous_);
        out[1] = std::move(current_);
        previous_ = std::move(next_);
    } else {
        out[0] = std::move(previous_);
        previous_ = std::move(current_);
    }
    current_ = std::move(kp);
    return out;
}

session::dropped session::install_responded(std::shared_ptr<keypair> kp) noexcept {
    dropped out;
    out[0] = std::move(next_);
    out[1] = std::move(previous_);
    next_ = std::move(kp);
    return out;
}

session::dropped session::confirm(const keypair& kp) noexcept {
    dropped out;
    if (next_.get() != &kp) return out;
    out[0] = std::move(previous_);
    previous_ = std::move(current_);
    current_ = std::move(next_);
    return out;
}

session::dropped session::expire(time_ns now) noexcept {
    dropped out;
    std::size_t n = 0;
    for (auto* slot : {&current_, &previous_, &next_}) {
        if (*slot && !(*slot)->is_receive_valid(now)) out[n++] = std::move(*slot);
    }
    return out;
}

session::dropped session::clear() noexcept {
    return {std::move(current_), std::move(previous_), std::move(next_)};
}

keypair* session::find(std::uint32_t local_index) const noexcept {
    for (const auto* slot : {&current_, &previous_, &next_})
        if (*slot && (*slot)->local_index() == local_index) return slot->get();
    return nullptr;
}

time_ns session::next_expiry() const noexcept {
    time_ns t = no_deadline;
    for (const auto* slot : {&current_, &previous_, &next_})
        if (*slot) t = std::min(t, (*slot)->created() + (*slot)->limits().reject_after_time);
    return t;
}

}  // namespace edge::wg
