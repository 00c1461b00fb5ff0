// The one dispatch: decode a completion's tag and hand it to its handler. Connection handlers
// decide what a negative result means for them (conn.cpp); what is common is here: completions
// that carry no connection, and completions for a slot's previous occupant.

#include <cerrno>

#include "base/log.hpp"
#include "engine/worker.hpp"

namespace edge::engine {

void worker::on_cqe(const completion& c) noexcept {
    const op_tag t = op_tag::decode(c.user_data);
    switch (t.kind) {
        case op::accept:
            on_accept(t.slot, c, t.gen);
            return;
        case op::wake:
            on_wake(c);
            return;
        case op::accept_retry:
            on_accept_retry();
            return;
        case op::cancel:
        case op::close:
            // Posted only on failure (CQE_SKIP_SUCCESS). A cancel that found nothing is normal
            // (the request had already finished); a failed close leaks nothing we can recover.
            if (c.res < 0 && c.res != -ENOENT && c.res != -EALREADY)
                log::debug("{} failed: {}", t.kind == op::cancel ? "cancel" : "close", -c.res);
            return;
        default:
            break;
    }
    if (t.slot >= conns_->capacity() || !conns_->is_current(t.slot, t.gen)) {
        on_stale(t, c);
        return;
    }
    conn& cn = (*conns_)[t.slot];
    switch (t.kind) {
        case op::recv:
            on_recv(t.slot, cn, t.dir, c);
            return;
        case op::send:
            on_send(t.slot, cn, t.dir, c);
            return;
        case op::connect:
            on_connect(t.slot, cn, c);
            return;
        case op::connect_timeout:
            on_connect_timeout(t.slot, cn, c);
            return;
        case op::proxy_send:
            on_proxy_sent(t.slot, cn, c);
            return;
        default:
            log::error("completion with unknown op {} (user_data {:#x})", int(t.kind), c.user_data);
            return;
    }
}

void worker::on_stale(const op_tag& t, const completion& c) noexcept {
    // A connection is freed only when none of its operations is left in the kernel, so this
    // means a bookkeeping bug. Keep the pool whole and count it.
    metrics_.stale_cqes.add();
    if (t.kind == op::recv && c.has_buffer() && c.res > 0) {
        std::uint32_t n = (static_cast<std::uint32_t>(c.res) + bufs_->size() - 1) / bufs_->size();
        bufs_->on_taken(n);
        for (std::uint32_t i = 0; i < n; ++i)
            bufs_->give_back(bufs_->nth_of_bundle(c.buffer_id(), i));
    }
}

}  // namespace edge::engine
