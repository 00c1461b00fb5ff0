// The relay, written once for both directions, and the close of a connection.
// (States and transitions: engine/tcp/connection.hpp.)
//
// Rules that every handler below keeps:
//  * `cn.pending` counts this connection's operations whose final CQE has not arrived; a multishot
//    receive counts once. The slot is freed only when the connection is closing and pending is 0.
//  * A buffer that a receive handed to a half goes back when the send that carried it completes,
//    or when the connection closes and no send references it (engine/uring/buffer_queue.hpp).
//  * Nothing here allocates, locks, or makes a syscall per relayed chunk. The syscalls are per
//    connection: shutdown(SHUT_WR) to pass a half-close on (through the ring it would be punted to
//    an io-wq thread, which costs more than the syscall), and SO_LINGER before the close of an
//    aborted connection.

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "engine/codec/proxy_protocol.hpp"
#include "engine/host/termination.hpp"
#include "engine/tcp/tcp_proxy.hpp"

namespace edge::engine {

namespace {

/// Closes that pass an abort on: the far side must not read a truncated stream as complete.
bool is_abort(close_reason why) noexcept {
    return why == close_reason::client_error || why == close_reason::backend_error ||
           why == close_reason::drain_timeout || why == close_reason::evicted;
}

}  // namespace

void tcp_proxy::start_relay(std::uint32_t slot, conn& cn) noexcept {
    cn.state = conn_state::relaying;
    cn.last_active = now_tick32();
    // A backend just connected has sent nothing yet: the first receive waits for readiness
    // instead of trying a read that can only come back empty.
    arm_recv(slot, cn, 1, true);
    relay_half& up = cn.half[0];
    if (cn.send_proxy != 0) {
        // The backend wants the client's address first: the header goes out before any client
        // byte (half[0] counts as busy until it has).
        proxy_out& po = proxy_out_[slot];
        if (!cn.has_destination) {
            sockaddr_storage ss{};
            socklen_t len = sizeof(ss);
            if (getsockname(cn.fd[0], reinterpret_cast<sockaddr*>(&ss), &len) == 0)
                po.destination =
                    socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
        }
        auto n = format_proxy_header(cn.send_proxy == 1 ? proxy_version::v1 : proxy_version::v2,
                                     cn.client, po.destination, std::span<std::uint8_t>(po.bytes));
        if (!n) {
            close_conn(slot, cn, close_reason::backend_error);
            return;
        }
        up.send_busy = true;
        ++cn.pending;
        core_.io().prep_send(cn.fd[1], po.bytes, *n, tag(tcp_op::proxy_send, slot));
    } else {
        forward(slot, cn, 0);
    }
    if (cn.state == conn_state::relaying)
        timers_.schedule(slot, core_.now_tick() + to_ticks(cfg_.idle_timeout));
}

void tcp_proxy::on_proxy_sent(std::uint32_t slot, conn& cn, const completion& c) noexcept {
    --cn.pending;
    relay_half& up = cn.half[0];
    up.send_busy = false;
    if (cn.state == conn_state::closing) {
        op_done(slot, cn);
        return;
    }
    if (c.res <= 0) {
        cn.abort = true;
        close_conn(slot, cn, close_reason::backend_error);
        return;
    }
    forward(slot, cn, 0);
}

void tcp_proxy::forward(std::uint32_t slot, conn& cn, unsigned half) noexcept {
    relay_half& h = cn.half[half];
    if (!h.queue.empty())
        start_send(slot, cn, half);
    else if (h.eof)
        pass_eof(slot, cn, half);
}

void tcp_proxy::arm_recv(std::uint32_t slot, conn& cn, unsigned side, bool poll_first) noexcept {
    relay_half& h = cn.half[side];
    core_.io().prep_recv_multishot(cn.fd[side], pool_->group(), core_.features().recv_bundle,
                                   max_send_iov * pool_->size(), poll_first,
                                   tag(tcp_op::recv, slot, side));
    h.recv_armed = true;
    ++cn.pending;
}

void tcp_proxy::pause_recv(std::uint32_t slot, conn& cn, unsigned side) noexcept {
    relay_half& h = cn.half[side];
    if (!h.recv_paused) metrics_.backpressure.add();
    if (h.recv_armed && !h.recv_paused)
        core_.io().prep_cancel(tag(tcp_op::recv, slot, side), tag(tcp_op::cancel, slot, side));
    h.recv_paused = true;
}

void tcp_proxy::maybe_resume(std::uint32_t slot, conn& cn, unsigned half) noexcept {
    relay_half& h = cn.half[half];
    if (h.recv_paused && !h.recv_armed && !h.eof && h.queue.bytes <= allowance() / 2) {
        h.recv_paused = false;
        arm_recv(slot, cn, half);
    }
}

void tcp_proxy::on_recv(std::uint32_t slot, conn& cn, unsigned side, const completion& c) noexcept {
    relay_half& h = cn.half[side];
    if (!c.has_more()) {
        h.recv_armed = false;
        --cn.pending;
    }
    if (c.res > 0) {
        store_->append_received(h.queue, c.buffer_id(), static_cast<std::uint32_t>(c.res));
        h.bytes_in += static_cast<std::uint32_t>(c.res);
        if (cn.state == conn_state::closing) {
            store_->drop(h.queue, h.send_busy ? h.sending : 0);
            op_done(slot, cn);
            return;
        }
        cn.last_active = now_tick32();
        if (cn.state == conn_state::awaiting_header) {
            on_header_data(slot, cn);
            if (cn.state == conn_state::closing) return;
        }
        if (cn.state == conn_state::relaying && !h.send_busy) start_send(slot, cn, side);
        if (h.queue.bytes >= allowance()) {
            // The destination is not draining (or the pool is low): stop reading this side
            // instead of holding more of the pool.
            pause_recv(slot, cn, side);
        } else if (!h.recv_armed && !h.recv_paused && !h.recv_starved) {
            arm_recv(slot, cn, side);  // the kernel ended the multishot with data (e.g. CQ full)
        }
        return;
    }
    if (cn.state == conn_state::closing) {
        op_done(slot, cn);
        return;
    }
    if (cn.state == conn_state::awaiting_header && c.res != -ENOBUFS) {
        // EOF, reset or error before the header was whole.
        reject_conn(slot, cn, reject_reason::client_gone);
        return;
    }
    if (c.res == 0) {
        h.eof = true;
        if (cn.state == conn_state::relaying && !h.send_busy && h.queue.empty())
            pass_eof(slot, cn, side);
        return;
    }
    switch (-c.res) {
        case ENOBUFS:
            on_enobufs(slot, side);
            return;
        case ECANCELED:
            // Our pause (backpressure or pool pressure). If the queue drained meanwhile, read
            // again now.
            maybe_resume(slot, cn, side);
            return;
        default:
            log::debug("recv from {}: {}", side == 0 ? "client" : "backend", std::strerror(-c.res));
            close_conn(slot, cn,
                       side == 0 ? close_reason::client_error : close_reason::backend_error);
            return;
    }
}

void tcp_proxy::start_send(std::uint32_t slot, conn& cn, unsigned half) noexcept {
    relay_half& h = cn.half[half];
    if (h.send_busy || h.queue.empty()) return;
    unsigned k = store_->gather(h.queue, h.iov, max_send_iov);
    h.sending = static_cast<std::uint16_t>(k);
    h.send_busy = true;
    h.send_since_ms = static_cast<std::uint32_t>(core_.now_ms());
    ++cn.pending;
    int dst = cn.fd[1 - half];
    // No MSG_WAITALL: a short send completes with what it sent, so a send still in the kernel
    // has sent nothing, and cancelling it (to move its bytes out of the pool, buffer_pressure)
    // can never lose track of bytes already on the wire.
    if (k == 1) {
        core_.io().prep_send(dst, h.iov[0].iov_base, h.iov[0].iov_len,
                             tag(tcp_op::send, slot, half), false);
    } else {
        h.msg = msghdr{};
        h.msg.msg_iov = h.iov;
        h.msg.msg_iovlen = k;
        core_.io().prep_sendmsg(dst, &h.msg, tag(tcp_op::send, slot, half), false);
    }
}

void tcp_proxy::on_send(std::uint32_t slot, conn& cn, unsigned half, const completion& c) noexcept {
    relay_half& h = cn.half[half];
    h.send_busy = false;
    h.sending = 0;
    --cn.pending;
    std::uint32_t sent = c.res > 0 ? static_cast<std::uint32_t>(c.res) : 0;
    (half == 0 ? metrics_.bytes_client_to_backend : metrics_.bytes_backend_to_client).add(sent);
    h.sent_bytes += sent;
    store_->consume(h.queue, sent);
    if (cn.state == conn_state::closing) {
        store_->drop(h.queue);
        op_done(slot, cn);
        return;
    }
    bool cancelled_for_spill = h.spill_after_send && c.res == -ECANCELED;
    if (h.spill_after_send) {
        // buffer_pressure cancelled this send to free its pool buffers: they move to spill
        // now that the kernel no longer reads them.
        h.spill_after_send = false;
        unsigned freed = store_->spill(h.queue, 0);
        metrics_.buffers_spilled.add(freed);
    }
    if (c.res < 0 && !cancelled_for_spill) {
        log::debug("send to {}: {}", half == 0 ? "backend" : "client", std::strerror(-c.res));
        close_conn(slot, cn, half == 0 ? close_reason::backend_error : close_reason::client_error);
        return;
    }
    if (sent > 0) cn.last_active = now_tick32();
    forward(slot, cn, half);
    if (cn.state == conn_state::closing) return;
    maybe_resume(slot, cn, half);
}

void tcp_proxy::pass_eof(std::uint32_t slot, conn& cn, unsigned half) noexcept {
    relay_half& h = cn.half[half];
    if (h.shut) return;
    h.shut = true;
    if (cn.half[1 - half].shut) {
        // The other direction has passed its EOF on already, so both sockets have been read to
        // EOF and hold no unread bytes: close() sends the FIN (not a reset), and the separate
        // shutdown() would be one syscall more for the same packets.
        close_conn(slot, cn, close_reason::done);
        return;
    }
    // ENOTCONN when the peer already reset: the close that follows sorts it out.
    ::shutdown(cn.fd[1 - half], SHUT_WR);
}

// ---------------------------------------------------------------------------------------------
// close

void tcp_proxy::close_conn(std::uint32_t slot, conn& cn, close_reason why) noexcept {
    if (cn.state == conn_state::closing) return;
    metrics_.closed[std::size_t(why)].add();
    if (log_ring_) trace_end(slot, to_termination(why));
    if (is_abort(why)) cn.abort = true;
    begin_close(slot, cn);
}

void tcp_proxy::reject_conn(std::uint32_t slot, conn& cn, reject_reason why) noexcept {
    if (cn.state == conn_state::closing) return;
    metrics_.rejected[std::size_t(why)].add();
    if (log_ring_) trace_end(slot, to_termination(why));
    begin_close(slot, cn);
}

void tcp_proxy::begin_close(std::uint32_t slot, conn& cn) noexcept {
    bool was_connecting = cn.state == conn_state::connecting;
    cn.state = conn_state::closing;
    timers_.cancel(slot);
    release_backend(cn);
    metrics_.connections_current.add(-1);
    for (unsigned side = 0; side < 2; ++side) {
        int fd = cn.fd[side];
        if (fd < 0) continue;
        cn.fd[side] = -1;
        if (cn.abort) {
            // A reset or an error on one side: the other side gets a reset too, not a FIN that
            // would make a truncated reply look complete.
            linger l{1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        }
        bool busy = cn.half[side].recv_armed || cn.half[1 - side].send_busy ||
                    (side == 1 && was_connecting);
        // Operations still in the kernel hold the socket open: cancel them, then close.
        if (busy)
            core_.io().prep_cancel_and_close(fd, tag(tcp_op::cancel, slot, side),
                                             tag(tcp_op::close, slot, side));
        else
            core_.io().prep_close(fd, tag(tcp_op::close, slot, side));
    }
    for (relay_half& h : cn.half)
        store_->drop(h.queue, h.send_busy ? h.sending : 0);
    // A descriptor is about to be freed: if accepts were paused for want of one, try again.
    gate_.on_descriptor_freed();
    op_done(slot, cn);
}

void tcp_proxy::op_done(std::uint32_t slot, conn& cn) noexcept {
    if (cn.state != conn_state::closing || cn.pending != 0) return;
    store_->drop(cn.half[0].queue);
    store_->drop(cn.half[1].queue);
    count_backend_bytes(cn);
    if (log_ring_) trace_finish(slot, cn);
    conns_->free(slot);
    gate_.on_count(conns_->used());
}

}  // namespace edge::engine
