// The life of a connection, from accept to the freeing of its slot (states: engine/conn.hpp).
//
// Rules that every handler below keeps:
//  * `cn.pending` counts this connection's operations whose final CQE has not arrived; a multishot
//    receive counts once. The slot is freed only when the connection is closing and pending is 0.
//  * A buffer that a receive handed to a half goes back to the pool when the send that carried it
//    completes, or when the connection closes and no send references it (buf_ring.hpp).
//  * Nothing here allocates, locks, or makes a syscall per relayed chunk. The syscalls are per
//    connection: getpeername, socket, setsockopt(TCP_NODELAY) for the backend, and
//    shutdown(SHUT_WR) to pass a half-close on (through the ring it would be punted to an io-wq
//    thread, which costs more than the syscall).

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "engine/clock.hpp"
#include "engine/proxy_protocol.hpp"
#include "engine/worker.hpp"
#include "geo/ip_address.hpp"
#include "routing/select.hpp"

namespace edge::engine {

static_assert(sizeof(proxy_out::bytes) >= proxy_max_formatted_length);

namespace {

// A deadline in worker ticks: at least one, so that a timeout below the tick still fires.
std::uint64_t to_ticks(std::chrono::milliseconds d) noexcept {
    std::uint64_t t = static_cast<std::uint64_t>(d.count()) / tick_ms;
    return t ? t : 1;
}

const routing::backend* find_slot(const routing::snapshot* s, std::uint32_t slot) noexcept {
    if (s == nullptr) return nullptr;
    if (slot >= s->index_by_slot.size() || s->index_by_slot[slot] < 0) return nullptr;
    return &s->backends[static_cast<std::size_t>(s->index_by_slot[slot])];
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// a new client (accepts themselves: accept.cpp)

void worker::start_conn(int fd, bool expect_header) noexcept {
    std::uint32_t slot = conns_->alloc();
    if (slot == slab<conn>::npos) {
        ::close(fd);
        metrics_.rejected[std::size_t(reject_reason::overload)].add();
        return;
    }
    conn& cn = (*conns_)[slot];
    cn.fd[0] = fd;
    cn.last_active = static_cast<std::uint32_t>(now_tick_);
    metrics_.connections_total.add();
    metrics_.connections_current.add(1);
    on_conn_added();
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
        reject_conn(slot, cn, reject_reason::client_gone);
        return;
    }
    cn.client = socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    // Receive from the client at once: bytes it sends while the backend connects wait in the
    // queue, and an early reset or FIN is noticed.
    arm_recv(slot, cn, 0);
    if (expect_header) {
        cn.state = conn_state::awaiting_header;
        timers_->schedule(slot, now_tick_ + to_ticks(cfg_.proxy_header_timeout));
        return;
    }
    route_and_connect(slot, cn);
}

void worker::on_header_data(std::uint32_t slot, conn& cn) noexcept {
    relay_half& h = cn.half[0];
    // The parser wants the header contiguous. It is at most proxy_v2_default_max_length bytes,
    // less than one buffer, so if it arrived split over buffers, move the following buffers'
    // bytes into the first: the queue stays the only place client bytes live.
    std::uint16_t head = h.head;
    while (next_buffer_[head] != relay_half::no_buffer &&
           buffer_len_[head] < proxy_v2_default_max_length) {
        std::uint16_t next = next_buffer_[head];
        std::uint32_t room = bufs_->size() - buffer_len_[head];
        std::uint32_t move = std::min(room, buffer_len_[next]);
        std::memcpy(bufs_->data(head) + buffer_len_[head], bufs_->data(next), move);
        std::memmove(bufs_->data(next), bufs_->data(next) + move, buffer_len_[next] - move);
        buffer_len_[head] += move;
        buffer_len_[next] -= move;
        if (buffer_len_[next] == 0) {
            next_buffer_[head] = next_buffer_[next];
            if (h.tail == next) h.tail = head;
            --h.queued;
            bufs_->give_back(next);
        }
    }
    auto r = parse_proxy_header(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(bufs_->data(head)), buffer_len_[head]));
    if (r.status == proxy_parse_status::need_more) return;  // more bytes will come, or the deadline
    if (r.status == proxy_parse_status::malformed) {
        metrics_
            .proxy_header_errors[std::min<std::size_t>(std::size_t(r.error), proxy_error_slots - 1)]
            .add();
        log::debug("PROXY header from {}: {}", to_string(cn.client), describe(r.error));
        reject_conn(slot, cn, reject_reason::bad_header);
        return;
    }
    metrics_.proxy_headers.add();
    // LOCAL (a health check) and UNKNOWN keep the socket's own address.
    if (r.header.kind == proxy_kind::proxy) {
        cn.client = r.header.source;
        // Kept for a send-proxy backend: the address the client dialled at the front.
        proxy_out_[slot].destination = r.header.destination;
        cn.has_destination = true;
    }
    // The client's payload starts after the header.
    h.head_offset = static_cast<std::uint32_t>(r.header.length);
    h.queued_bytes -= static_cast<std::uint32_t>(r.header.length);
    if (h.head_offset == buffer_len_[head]) {
        h.head = next_buffer_[head];
        if (h.head == relay_half::no_buffer) h.tail = relay_half::no_buffer;
        h.head_offset = 0;
        --h.queued;
        bufs_->give_back(head);
    }
    timers_->cancel(slot);
    cn.state = conn_state::accepted;
    route_and_connect(slot, cn);
}

geo::location worker::locate(const conn& cn) noexcept {
    if (!geo_db_) return {};
    auto ip = geo::ip_address::from_sockaddr(&cn.client.addr.sa);
    if (!ip) return {};
    const geo::lookup_cache_stats before = geo_cache_.stats();
    geo::location where = geo_cache_.locate(*ip, geo_db_.get(), *region_map_);
    const geo::lookup_cache_stats& after = geo_cache_.stats();
    metrics_.geo_hits.add(after.hits - before.hits);
    metrics_.geo_misses.add(after.misses - before.misses);
    metrics_.geo_errors.add(after.errors - before.errors);
    return where;
}

// ---------------------------------------------------------------------------------------------
// route and connect

void worker::route_and_connect(std::uint32_t slot, conn& cn) noexcept {
    if (!snap_) {
        reject_conn(slot, cn, reject_reason::no_backend);
        return;
    }
    const geo::location client_location = locate(cn);
    const routing::client_key client = routing::client_key::from_sockaddr(&cn.client.addr.sa);
    std::uint32_t skip[max_connect_attempts + 8];
    std::uint32_t nskip = cn.attempts;
    std::copy(cn.tried, cn.tried + cn.attempts, skip);
    // Affinity: on the first attempt a fresh binding wins if its backend is still there and
    // healthy. If it is only full, this connection goes elsewhere but the binding stays.
    bool check_binding = bindings_ != nullptr && cn.attempts == 0;
    bool keep_binding = false;
    while (cn.attempts < cfg_.connect_attempts) {
        const routing::backend* b = nullptr;
        bool bound = false;
        if (check_binding) {
            check_binding = false;
            if (auto had = bindings_->lookup(client, now_ms_)) {
                b = routing::bound_backend(*snap_, had->slot, had->generation);
                if (b == nullptr) bindings_->forget(client, *had);  // removed or unhealthy
                bound = keep_binding = b != nullptr;
            }
        }
        if (b == nullptr)
            b = routing::select_backend(*snap_, client_location, live_by_slot_,
                                        std::span<const std::uint32_t>(skip, nskip), selection_);
        if (b == nullptr) break;
        if (!routing::try_reserve(*b)) {
            // At hard_limit, or another worker filled it between the score and the
            // reservation: the next best.
            if (nskip == std::size(skip)) break;
            skip[nskip++] = b->slot;
            continue;
        }
        cn.tried[cn.attempts++] = b->slot;
        skip[nskip++] = b->slot;
        cn.backend_slot = b->slot;
        cn.backend_generation = b->generation;
        cn.send_proxy = b->send_proxy;
        cn.shared = b->shared;
        if (b->slot < live_by_slot_.size()) ++live_by_slot_[b->slot];
        if (bindings_ != nullptr && !bound && !keep_binding)
            bindings_->bind(client, routing::binding{b->slot, b->generation}, now_ms_);

        int fd = ::socket(b->address.addr.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            int err = errno;
            release_backend(cn);
            if (err == EMFILE || err == ENFILE) {
                if (now_ms_ >= socket_error_log_ms_ + log_interval_ms) {
                    log::warn("backend socket: {}: closing new clients until descriptors free up",
                              std::strerror(err));
                    socket_error_log_ms_ = now_ms_;
                }
                reject_conn(slot, cn, reject_reason::fd_exhausted);
            } else {
                log::error("backend socket: {}", std::strerror(err));
                reject_conn(slot, cn, reject_reason::connect_failed);
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        cn.fd[1] = fd;
        cn.state = conn_state::connecting;
        cn.connect_start_ns = monotonic_ns();
        ring_->prep_connect_with_timeout(fd, &b->address.addr.sa, b->address.len, &connect_ts_,
                                         tag(op::connect, slot), tag(op::connect_timeout, slot));
        cn.pending += 2;
        return;
    }
    if (cn.attempts > 0) {
        reject_conn(slot, cn, reject_reason::connect_failed);
        return;
    }
    bool any_healthy = false;
    for (const routing::backend& b : snap_->backends)
        any_healthy |= b.healthy;
    reject_conn(slot, cn, any_healthy ? reject_reason::capacity : reject_reason::no_backend);
}

void worker::on_connect(std::uint32_t slot, conn& cn, const completion& c) noexcept {
    --cn.pending;
    if (cn.state == conn_state::closing) {
        op_done(slot, cn);
        return;
    }
    if (c.res == 0) {
        std::uint64_t us = (monotonic_ns() - cn.connect_start_ns) / 1000;
        metrics_.record_connect_latency(cn.backend_slot, us);
        if (cn.backend_slot < metrics_.backend_capacity)
            metrics_.backends[cn.backend_slot].connections.add();
        start_relay(slot, cn);
        return;
    }
    // Refused, unreachable, reset, or cancelled by its linked timeout: try the next best.
    bool timed_out = c.res == -ECANCELED;
    if (cn.backend_slot < metrics_.backend_capacity) {
        backend_counters& bc = metrics_.backends[cn.backend_slot];
        (timed_out ? bc.connect_timeouts : bc.connect_failures).add();
    }
    // One line per backend per log interval: a dead backend under load must not flood the log.
    if (cn.backend_slot >= backend_log_.size()) backend_log_.resize(live_by_slot_.size());
    if (cn.backend_slot < backend_log_.size()) {
        rate_limited_log& rl = backend_log_[cn.backend_slot];
        if (rl.last_ms == 0 || now_ms_ >= rl.last_ms + log_interval_ms) {
            const routing::backend* b = find_slot(snap_.get(), cn.backend_slot);
            log::warn("backend {} ({}): connect {}{}{}",
                      b ? b->id : std::to_string(cn.backend_slot),
                      b ? to_string(b->address) : std::string("?"),
                      timed_out ? "timed out after " : "failed: ",
                      timed_out ? fmt::format("{} ms", cfg_.connect_timeout.count())
                                : std::string(std::strerror(-c.res)),
                      rl.suppressed ? fmt::format(" ({} more since the last report)", rl.suppressed)
                                    : std::string());
            rl.last_ms = now_ms_;
            rl.suppressed = 0;
        } else {
            ++rl.suppressed;
        }
    }
    ::close(cn.fd[1]);  // the linked timeout does not use the socket; closing it now is safe
    cn.fd[1] = -1;
    release_backend(cn);
    // A refusing backend loses its clients' bindings: they are routed afresh (and bound to
    // wherever that leads). Only if the binding is still this one: another worker may have
    // rebound the client meanwhile.
    if (bindings_ != nullptr)
        bindings_->forget(routing::client_key::from_sockaddr(&cn.client.addr.sa),
                          routing::binding{cn.backend_slot, cn.backend_generation});
    cn.state = conn_state::accepted;
    route_and_connect(slot, cn);
}

void worker::on_connect_timeout(std::uint32_t slot, conn& cn, const completion&) noexcept {
    // -ETIME: it fired and the connect completes with -ECANCELED; -ECANCELED: the connect
    // finished first. Either way the connect's own CQE carries the outcome.
    --cn.pending;
    if (cn.state == conn_state::closing) op_done(slot, cn);
}

void worker::release_backend(conn& cn) noexcept {
    if (cn.shared == nullptr) return;
    routing::release(*cn.shared);
    if (cn.backend_slot < live_by_slot_.size() && live_by_slot_[cn.backend_slot] > 0)
        --live_by_slot_[cn.backend_slot];
    cn.shared = nullptr;
}

// ---------------------------------------------------------------------------------------------
// relay

void worker::start_relay(std::uint32_t slot, conn& cn) noexcept {
    cn.state = conn_state::relaying;
    cn.last_active = static_cast<std::uint32_t>(now_tick_);
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
        ring_->prep_send(cn.fd[1], po.bytes, *n, tag(op::proxy_send, slot));
    } else {
        forward(slot, cn, 0);
    }
    if (cn.state == conn_state::relaying)
        timers_->schedule(slot, now_tick_ + to_ticks(cfg_.idle_timeout));
}

void worker::on_proxy_sent(std::uint32_t slot, conn& cn, const completion& c) noexcept {
    --cn.pending;
    relay_half& up = cn.half[0];
    up.send_busy = false;
    if (cn.state == conn_state::closing) {
        op_done(slot, cn);
        return;
    }
    if (c.res <= 0) {
        close_conn(slot, cn, close_reason::backend_error);
        return;
    }
    forward(slot, cn, 0);
}

void worker::forward(std::uint32_t slot, conn& cn, unsigned half) noexcept {
    relay_half& h = cn.half[half];
    if (h.queued > 0)
        start_send(slot, cn, half);
    else if (h.eof)
        pass_eof(slot, cn, half);
}

void worker::arm_recv(std::uint32_t slot, conn& cn, unsigned side, bool poll_first) noexcept {
    relay_half& h = cn.half[side];
    ring_->prep_recv_multishot(cn.fd[side], bufs_->group(), features_.recv_bundle,
                               max_send_iov * bufs_->size(), poll_first, tag(op::recv, slot, side));
    h.recv_armed = true;
    ++cn.pending;
}

std::uint32_t worker::take_buffers(relay_half& h, std::uint16_t first,
                                   std::uint32_t bytes) noexcept {
    // A bundle fills whole buffers in ring order; only the last may be partial.
    std::uint32_t size = bufs_->size();
    std::uint32_t n = (bytes + size - 1) / size;
    bufs_->on_taken(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint16_t bid = bufs_->nth_of_bundle(first, i);
        std::uint32_t len = bytes > size ? size : bytes;
        bytes -= len;
        buffer_len_[bid] = len;
        next_buffer_[bid] = relay_half::no_buffer;
        if (h.tail == relay_half::no_buffer)
            h.head = bid;
        else
            next_buffer_[h.tail] = bid;
        h.tail = bid;
        ++h.queued;
        h.queued_bytes += len;
    }
    return n;
}

void worker::on_recv(std::uint32_t slot, conn& cn, unsigned side, const completion& c) noexcept {
    relay_half& h = cn.half[side];
    if (!c.has_more()) {
        h.recv_armed = false;
        --cn.pending;
    }
    if (c.res > 0) {
        take_buffers(h, c.buffer_id(), static_cast<std::uint32_t>(c.res));
        if (cn.state == conn_state::closing) {
            drop_queue(h, true);
            op_done(slot, cn);
            return;
        }
        cn.last_active = static_cast<std::uint32_t>(now_tick_);
        if (cn.state == conn_state::awaiting_header) {
            on_header_data(slot, cn);
            if (cn.state == conn_state::closing) return;
        }
        if (cn.state == conn_state::relaying && !h.send_busy) start_send(slot, cn, side);
        if (h.queued_bytes >= cfg_.max_inflight) {
            // The destination is not draining: stop reading this side instead of growing memory.
            if (!h.recv_paused) metrics_.backpressure.add();
            if (h.recv_armed && !h.recv_paused)
                ring_->prep_cancel(tag(op::recv, slot, side), tag(op::cancel, slot, side));
            h.recv_paused = true;
        } else if (!h.recv_armed && !h.recv_paused) {
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
        if (cn.state == conn_state::relaying && !h.send_busy && h.queued == 0)
            pass_eof(slot, cn, side);
        return;
    }
    switch (-c.res) {
        case ENOBUFS:
            // The pool is empty: wait on the starved list until it refills (buf_ring.hpp).
            metrics_.enobufs.add();
            h.recv_starved = true;
            starved_.push_back(tag(op::recv, slot, side));
            return;
        case ECANCELED:
            // Our backpressure cancel. If the queue drained meanwhile, read again now.
            if (h.recv_paused && h.queued_bytes <= cfg_.max_inflight / 2 && !h.eof) {
                h.recv_paused = false;
                arm_recv(slot, cn, side);
            }
            return;
        default:
            log::debug("recv from {}: {}", side == 0 ? "client" : "backend", std::strerror(-c.res));
            close_conn(slot, cn,
                       side == 0 ? close_reason::client_error : close_reason::backend_error);
            return;
    }
}

void worker::rearm_starved() noexcept {
    // Oldest first; stop once the pool dips below the threshold again.
    std::size_t i = 0;
    for (; i < starved_.size() && bufs_->above_refill_threshold(); ++i) {
        op_tag t = op_tag::decode(starved_[i]);
        if (!conns_->is_current(t.slot, t.gen)) continue;
        conn& cn = (*conns_)[t.slot];
        relay_half& h = cn.half[t.dir];
        if (cn.state == conn_state::closing || !h.recv_starved) continue;
        h.recv_starved = false;
        if (!h.recv_armed && !h.recv_paused && !h.eof) arm_recv(t.slot, cn, t.dir);
    }
    starved_.erase(starved_.begin(), starved_.begin() + static_cast<std::ptrdiff_t>(i));
}

void worker::start_send(std::uint32_t slot, conn& cn, unsigned half) noexcept {
    relay_half& h = cn.half[half];
    if (h.send_busy || h.queued == 0) return;
    unsigned k = 0;
    std::uint32_t offset = h.head_offset;
    for (std::uint16_t bid = h.head; bid != relay_half::no_buffer && k < max_send_iov;
         bid = next_buffer_[bid]) {
        h.iov[k].iov_base = bufs_->data(bid) + offset;
        h.iov[k].iov_len = buffer_len_[bid] - offset;
        offset = 0;
        ++k;
    }
    h.sending = static_cast<std::uint16_t>(k);
    h.send_busy = true;
    ++cn.pending;
    int dst = cn.fd[1 - half];
    if (k == 1) {
        ring_->prep_send(dst, h.iov[0].iov_base, h.iov[0].iov_len, tag(op::send, slot, half));
    } else {
        h.msg = msghdr{};
        h.msg.msg_iov = h.iov;
        h.msg.msg_iovlen = k;
        ring_->prep_sendmsg(dst, &h.msg, tag(op::send, slot, half));
    }
}

void worker::on_send(std::uint32_t slot, conn& cn, unsigned half, const completion& c) noexcept {
    relay_half& h = cn.half[half];
    h.send_busy = false;
    --cn.pending;
    // Retire what was sent: whole buffers go back to the pool; a partial one keeps its offset.
    std::uint32_t sent = c.res > 0 ? static_cast<std::uint32_t>(c.res) : 0;
    (half == 0 ? metrics_.bytes_client_to_backend : metrics_.bytes_backend_to_client).add(sent);
    while (sent > 0 && h.head != relay_half::no_buffer) {
        std::uint16_t bid = h.head;
        std::uint32_t left = buffer_len_[bid] - h.head_offset;
        if (sent < left) {
            h.head_offset += sent;
            h.queued_bytes -= sent;
            break;
        }
        sent -= left;
        h.queued_bytes -= left;
        h.head_offset = 0;
        h.head = next_buffer_[bid];
        if (h.head == relay_half::no_buffer) h.tail = relay_half::no_buffer;
        --h.queued;
        bufs_->give_back(bid);
    }
    h.sending = 0;
    if (cn.state == conn_state::closing) {
        drop_queue(h, false);
        op_done(slot, cn);
        return;
    }
    if (c.res <= 0) {
        log::debug("send to {}: {}", half == 0 ? "backend" : "client",
                   c.res == 0 ? "no progress" : std::strerror(-c.res));
        close_conn(slot, cn, half == 0 ? close_reason::backend_error : close_reason::client_error);
        return;
    }
    cn.last_active = static_cast<std::uint32_t>(now_tick_);
    forward(slot, cn, half);
    if (cn.state == conn_state::closing) return;
    if (h.recv_paused && !h.recv_armed && h.queued_bytes <= cfg_.max_inflight / 2 && !h.eof) {
        h.recv_paused = false;
        arm_recv(slot, cn, half);
    }
}

void worker::pass_eof(std::uint32_t slot, conn& cn, unsigned half) noexcept {
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

void worker::close_conn(std::uint32_t slot, conn& cn, close_reason why) noexcept {
    if (cn.state == conn_state::closing) return;
    metrics_.closed[std::size_t(why)].add();
    begin_close(slot, cn);
}

void worker::reject_conn(std::uint32_t slot, conn& cn, reject_reason why) noexcept {
    if (cn.state == conn_state::closing) return;
    metrics_.rejected[std::size_t(why)].add();
    begin_close(slot, cn);
}

void worker::begin_close(std::uint32_t slot, conn& cn) noexcept {
    bool was_connecting = cn.state == conn_state::connecting;
    cn.state = conn_state::closing;
    timers_->cancel(slot);
    release_backend(cn);
    metrics_.connections_current.add(-1);
    for (unsigned side = 0; side < 2; ++side) {
        int fd = cn.fd[side];
        if (fd < 0) continue;
        cn.fd[side] = -1;
        bool busy = cn.half[side].recv_armed || cn.half[1 - side].send_busy ||
                    (side == 1 && was_connecting);
        // Operations still in the kernel hold the socket open: cancel them, then close.
        if (busy)
            ring_->prep_cancel_and_close(fd, tag(op::cancel, slot, side),
                                         tag(op::close, slot, side));
        else
            ring_->prep_close(fd, tag(op::close, slot, side));
    }
    drop_queue(cn.half[0], true);
    drop_queue(cn.half[1], true);
    // A descriptor is about to be freed: if accepts were paused for want of one, try again.
    // The accept SQE is queued after the closes, so it runs after them.
    if (accept_paused_ && !draining_) on_accept_retry();
    op_done(slot, cn);
}

void worker::drop_queue(relay_half& h, bool keep_sending) noexcept {
    // Buffers a send in flight still reads from stay until its CQE; the rest go back now.
    unsigned keep = (keep_sending && h.send_busy) ? h.sending : 0;
    std::uint16_t bid = h.head, last_kept = relay_half::no_buffer;
    for (unsigned i = 0; i < keep && bid != relay_half::no_buffer; ++i) {
        last_kept = bid;
        bid = next_buffer_[bid];
    }
    while (bid != relay_half::no_buffer) {
        std::uint16_t next = next_buffer_[bid];
        bufs_->give_back(bid);
        --h.queued;
        bid = next;
    }
    if (last_kept == relay_half::no_buffer) {
        h.head = h.tail = relay_half::no_buffer;
        h.head_offset = 0;
    } else {
        next_buffer_[last_kept] = relay_half::no_buffer;
        h.tail = last_kept;
    }
}

void worker::op_done(std::uint32_t slot, conn& cn) noexcept {
    if (cn.state != conn_state::closing || cn.pending != 0) return;
    drop_queue(cn.half[0], false);
    drop_queue(cn.half[1], false);
    conns_->free(slot);
    on_conn_removed();
}

// ---------------------------------------------------------------------------------------------
// timers

void worker::on_timer(std::uint32_t slot) noexcept {
    if (!conns_->in_use(slot)) return;
    conn& cn = (*conns_)[slot];
    if (cn.state == conn_state::awaiting_header) {
        reject_conn(slot, cn, reject_reason::header_timeout);
        return;
    }
    if (cn.state != conn_state::relaying) return;
    const std::uint64_t idle_ticks = to_ticks(cfg_.idle_timeout);
    std::uint64_t quiet = now_tick_ - cn.last_active;
    if (quiet >= idle_ticks) {
        close_conn(slot, cn, close_reason::idle_timeout);
        return;
    }
    timers_->schedule(slot, cn.last_active + idle_ticks);
}

}  // namespace edge::engine
