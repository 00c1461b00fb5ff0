// One active check through the checker's ring:
//
//   socket ──▶ connect (linked timeout) ──▶ tcp: passed
//                   │                  └──▶ send_expect / http: send ──▶ read … until judged
//                   └──▶ refused / unreachable / reset / timed out
//   then: close (with SO_LINGER 0: a reset, so the checker leaves no TIME_WAIT behind at
//   hundreds of checks a second, as HAProxy's checks do).
//
// The connect's linked timeout bounds the connect; the exchange after it is bounded by the same
// deadline (start + timeout) through the checker's timetable, which cancels what is left in the
// kernel. A probe record is freed only when every operation it started has completed (`pending`
// is 0), so no completion ever finds its slot reused; the slot generation in each tag is the
// second guard. Syscalls are per check, never per byte: socket and one setsockopt.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "engine/health/checker.hpp"
#include "engine/health/reply_check.hpp"
#include "engine/host/connect_error.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine::health {

namespace {

// The connect classification the TCP component uses, so both say "refused" alike.
check_result classify(int err) noexcept {
    switch (classify_connect_error(err)) {
        case connect_failure::refused:
            return check_result::refused;
        case connect_failure::unreachable:
            return check_result::unreachable;
        case connect_failure::reset:
            return check_result::reset;
        case connect_failure::timeout:
            return check_result::timeout;
        case connect_failure::other:
        case connect_failure::count_:
            break;
    }
    return check_result::other;
}

reply_verdict judge(const probe& p, bool at_end) noexcept {
    std::string_view got(p.buf, p.got);
    if (p.spec->kind == routing::health_check_kind::http)
        return check_http_status(got, p.spec->status_min, p.spec->status_max, at_end);
    return check_expect(got, p.spec->expect);
}

}  // namespace

void checker::start_probe(std::uint32_t slot, backend_entry& e) noexcept {
    const std::uint64_t now = core_.now_ms();
    int fd = ::socket(e.address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        // Our own shortage (descriptors), not the backend's fault: no result, try again later.
        if (now >= socket_error_log_ms_ + log_interval_ms || socket_error_log_ms_ == 0) {
            log::warn("health check socket: {}; checks wait", std::strerror(errno));
            socket_error_log_ms_ = now;
        }
        schedule(slot, e, now + std::max<std::uint64_t>(e.spec->timing.fast_ms, 100));
        return;
    }
    std::uint32_t pslot = probes_->alloc();
    if (pslot == slab<probe>::npos) {  // cannot happen: in_flight_ < capacity was checked
        ::close(fd);
        schedule(slot, e, now + 100);
        return;
    }
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    probe& p = (*probes_)[pslot];
    p.fd = fd;
    p.backend_slot = slot;
    p.backend_gen = e.generation;
    p.spec = e.spec;
    p.address = e.address;
    p.start_ns = monotonic_ns();
    p.started_ms = now;
    const std::uint32_t t = e.spec->timing.timeout_ms;
    p.timeout.tv_sec = t / 1000;
    p.timeout.tv_nsec = static_cast<long long>(t % 1000) * 1000000;
    p.pending = 2;
    core_.io().prep_connect_with_timeout(fd, p.address.data(), p.address.len, &p.timeout,
                                         tag(health_op::connect, pslot),
                                         tag(health_op::connect_timeout, pslot));
    e.in_flight = true;
    ++in_flight_;
    board_.in_flight.set(in_flight_);
}

void checker::on_probe_completion(health_op op, const op_tag& t, const completion& c) noexcept {
    if (t.slot >= probes_->capacity() || !probes_->is_current(t.slot, t.gen)) {
        log::debug("stale health check completion (op {}, user_data {:#x})", t.op, c.user_data);
        return;
    }
    probe& p = (*probes_)[t.slot];
    --p.pending;
    if (p.done) {
        release_if_idle(t.slot, p);
        return;
    }
    switch (op) {
        case health_op::connect_timeout:
            // -ETIME: it fired and the connect completes with -ECANCELED; -ECANCELED: the
            // connect finished first. The connect's own CQE carries the outcome.
            return;
        case health_op::connect:
            if (c.res < 0) {
                finish_probe(t.slot, p, classify(-c.res));
                return;
            }
            if (p.spec->kind == routing::health_check_kind::tcp) {
                finish_probe(t.slot, p, check_result::passed);
                return;
            }
            // The exchange: the rest of the timeout, through the timetable.
            events_.push(
                {p.started_ms + p.spec->timing.timeout_ms, t.slot, t.gen, event_kind::deadline});
            if (p.spec->request.empty()) {
                read_more(t.slot, p);  // expect only: a banner
                return;
            }
            ++p.pending;
            core_.io().prep_send(p.fd, p.spec->request.data(), p.spec->request.size(),
                                 tag(health_op::send, t.slot));
            return;
        case health_op::send:
            if (c.res < 0) {
                finish_probe(t.slot, p, classify(-c.res));
                return;
            }
            if (static_cast<std::size_t>(c.res) < p.spec->request.size()) {
                finish_probe(t.slot, p, check_result::reset);
                return;
            }
            read_more(t.slot, p);
            return;
        case health_op::read: {
            if (c.res < 0) {
                finish_probe(t.slot, p, classify(-c.res));
                return;
            }
            p.got += static_cast<std::uint32_t>(c.res);
            bool at_end = c.res == 0;
            switch (judge(p, at_end)) {
                case reply_verdict::pass:
                    finish_probe(t.slot, p, check_result::passed);
                    return;
                case reply_verdict::mismatch:
                    finish_probe(t.slot, p, check_result::mismatch);
                    return;
                case reply_verdict::need_more:
                    if (at_end) {
                        finish_probe(t.slot, p, check_result::closed);
                    } else if (p.got >= reply_capacity) {
                        finish_probe(t.slot, p, check_result::mismatch);
                    } else {
                        read_more(t.slot, p);
                    }
                    return;
            }
            return;
        }
        default:
            log::error("health check completion with unknown op {} (user_data {:#x})", t.op,
                       c.user_data);
            return;
    }
}

void checker::read_more(std::uint32_t pslot, probe& p) noexcept {
    ++p.pending;
    core_.io().prep_read(p.fd, p.buf + p.got, reply_capacity - p.got, tag(health_op::read, pslot));
}

void checker::on_deadline(const timed_event& ev) noexcept {
    if (ev.id >= probes_->capacity() || !probes_->is_current(ev.id, ev.seq)) return;
    probe& p = (*probes_)[ev.id];
    if (!p.done) finish_probe(ev.id, p, check_result::timeout);
}

void checker::finish_probe(std::uint32_t pslot, probe& p, check_result r) noexcept {
    p.done = true;
    std::uint64_t micros = (monotonic_ns() - p.start_ns) / 1000;
    if (p.fd >= 0) {
        // A send or read still in the kernel holds the socket: cancel it, then close.
        if (p.pending > 0)
            core_.io().prep_cancel_and_close(p.fd, tag(health_op::cancel, pslot),
                                             tag(health_op::close, pslot));
        else
            core_.io().prep_close(p.fd, tag(health_op::close, pslot));
        p.fd = -1;
    }
    if (!draining_) on_check_result(p.backend_slot, p.backend_gen, r, micros, p.started_ms);
    release_if_idle(pslot, p);
}

void checker::release_if_idle(std::uint32_t pslot, probe& p) noexcept {
    if (!p.done || p.pending != 0) return;
    probes_->free(pslot);
    --in_flight_;
    board_.in_flight.set(in_flight_);
    start_waiting();
}

}  // namespace edge::engine::health
