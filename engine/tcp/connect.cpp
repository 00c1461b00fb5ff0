// A new client, its PROXY header, where it is, the backend it gets, and the connect to it.
// (States and transitions: engine/tcp/connection.hpp.)
//
// Syscalls here are per connection, never per chunk: getpeername (client address), socket +
// setsockopt(TCP_NODELAY) for the backend.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "engine/codec/proxy_protocol.hpp"
#include "engine/tcp/tcp_proxy.hpp"
#include "engine/uring/clock.hpp"
#include "geo/ip_address.hpp"
#include "routing/select.hpp"

namespace edge::engine {

static_assert(sizeof(proxy_out::bytes) >= proxy_max_formatted_length);

namespace {

const routing::backend* find_slot(const routing::snapshot* s, std::uint32_t slot) noexcept {
    if (s == nullptr) return nullptr;
    if (slot >= s->index_by_slot.size() || s->index_by_slot[slot] < 0) return nullptr;
    return &s->backends[static_cast<std::size_t>(s->index_by_slot[slot])];
}

/// Why a connect failed, as the per-backend metric labels it.
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
            return connect_failure::reset;
        case ECANCELED:  // the linked timeout fired
        case ETIMEDOUT:  // the kernel's own SYN retries ran out first
            return connect_failure::timeout;
        default:
            return connect_failure::other;
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// a new client (accepts themselves: accept_gate.cpp)

void tcp_proxy::start_conn(const accept_gate::accepted& a) noexcept {
    const int fd = a.fd;
    std::uint32_t slot = conns_->alloc();
    if (slot == slab<conn>::npos) {
        ::close(fd);
        metrics_.rejected[std::size_t(reject_reason::overload)].add();
        if (log_ring_) trace_overload(a.spec);
        return;
    }
    if (log_ring_) trace_accept(slot, a.spec);
    conn& cn = (*conns_)[slot];
    cn.fd[0] = fd;
    cn.last_active = now_tick32();
    metrics_.connections_total.add();
    metrics_.connections_current.add(1);
    gate_.on_count(conns_->used());
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
    if (a.proxy_protocol) {
        cn.state = conn_state::awaiting_header;
        timers_.schedule(slot, core_.now_tick() + to_ticks(cfg_.proxy_header_timeout));
        return;
    }
    route_and_connect(slot, cn);
}

void tcp_proxy::on_header_data(std::uint32_t slot, conn& cn) noexcept {
    buffer_queue& q = cn.half[0].queue;
    // The parser wants the header contiguous. It is at most proxy_v2_default_max_length bytes,
    // less than one buffer, so if it arrived split over buffers, move the following buffers'
    // bytes into the first: the queue stays the only place client bytes live.
    store_->compact_head(q, proxy_v2_default_max_length);
    auto r = parse_proxy_header(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(store_->data(q.head)), store_->length(q.head)));
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
    store_->skip(q, static_cast<std::uint32_t>(r.header.length));
    timers_.cancel(slot);
    cn.state = conn_state::accepted;
    route_and_connect(slot, cn);
}

geo::location tcp_proxy::locate(const conn& cn) noexcept {
    if (!geo_db_) return {};
    auto ip = geo::ip_address::from_sockaddr(cn.client.data());
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

void tcp_proxy::route_and_connect(std::uint32_t slot, conn& cn) noexcept {
    if (!snap_) {
        reject_conn(slot, cn, reject_reason::no_backend);
        return;
    }
    const geo::location client_location = locate(cn);
    if (log_ring_) trace_location(slot, client_location);
    const routing::client_key client = routing::client_key::from_sockaddr(cn.client.data());
    std::uint32_t skip[max_connect_attempts + 8];
    std::uint32_t nskip = cn.attempts;
    std::copy(cn.tried, cn.tried + cn.attempts, skip);
    // Affinity: on the first attempt a fresh binding wins if its backend is still there and
    // healthy. If it is only full, this connection goes elsewhere but the binding stays.
    bool check_binding = bindings_ != nullptr && cn.attempts == 0;
    bool keep_binding = false;
    const std::uint64_t now_ms = core_.now_ms();
    while (cn.attempts < cfg_.connect_attempts) {
        const routing::backend* b = nullptr;
        bool bound = false;
        if (check_binding) {
            check_binding = false;
            if (auto had = bindings_->lookup(client, now_ms)) {
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
        if (log_ring_) trace_backend(slot, *b);
        skip[nskip++] = b->slot;
        cn.backend_slot = b->slot;
        cn.backend_generation = b->generation;
        cn.send_proxy = b->send_proxy;
        cn.shared = b->shared;
        if (b->slot < live_by_slot_.size()) ++live_by_slot_[b->slot];
        if (bindings_ != nullptr && !bound && !keep_binding)
            bindings_->bind(client, routing::binding{b->slot, b->generation}, now_ms);

        int fd = ::socket(b->address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            int err = errno;
            release_backend(cn);
            if (err == EMFILE || err == ENFILE) {
                if (now_ms >= socket_error_log_ms_ + log_interval_ms) {
                    log::warn("backend socket: {}: closing new clients until descriptors free up",
                              std::strerror(err));
                    socket_error_log_ms_ = now_ms;
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
        core_.io().prep_connect_with_timeout(fd, b->address.data(), b->address.len, &connect_ts_,
                                             tag(tcp_op::connect, slot),
                                             tag(tcp_op::connect_timeout, slot));
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

void tcp_proxy::on_connect(std::uint32_t slot, conn& cn, const completion& c) noexcept {
    --cn.pending;
    if (cn.state == conn_state::closing) {
        op_done(slot, cn);
        return;
    }
    if (c.res == 0) {
        std::uint64_t us = (monotonic_ns() - cn.connect_start_ns) / 1000;
        metrics_.record_connect_latency(cn.backend_slot, us);
        if (log_ring_) trace_connected(slot, us);
        if (cn.backend_slot < metrics_.backend_capacity)
            metrics_.backends[cn.backend_slot].connections.add();
        start_relay(slot, cn);
        return;
    }
    // Refused, unreachable, reset, or cancelled by its linked timeout: try the next best.
    connect_failure why = classify_connect_error(-c.res);
    if (cn.backend_slot < metrics_.backend_capacity)
        metrics_.backends[cn.backend_slot].connect_failures[std::size_t(why)].add();
    log_connect_failure(cn, -c.res, why == connect_failure::timeout && c.res == -ECANCELED);
    if (log_ring_) trace_connect_failed(slot, why == connect_failure::timeout);
    ::close(cn.fd[1]);  // the linked timeout does not use the socket; closing it now is safe
    cn.fd[1] = -1;
    release_backend(cn);
    // A refusing backend loses its clients' bindings: they are routed afresh (and bound to
    // wherever that leads). Only if the binding is still this one: another worker may have
    // rebound the client meanwhile.
    if (bindings_ != nullptr)
        bindings_->forget(routing::client_key::from_sockaddr(cn.client.data()),
                          routing::binding{cn.backend_slot, cn.backend_generation});
    cn.state = conn_state::accepted;
    route_and_connect(slot, cn);
}

void tcp_proxy::log_connect_failure(const conn& cn, int err, bool timed_out) noexcept {
    // One line per backend per log interval: a dead backend under load must not flood the log.
    if (cn.backend_slot >= backend_log_.size())
        backend_log_.resize(std::max<std::size_t>(live_by_slot_.size(), cn.backend_slot + 1));
    rate_limited_log& rl = backend_log_[cn.backend_slot];
    const std::uint64_t now_ms = core_.now_ms();
    if (rl.last_ms != 0 && now_ms < rl.last_ms + log_interval_ms) {
        ++rl.suppressed;
        return;
    }
    const routing::backend* b = find_slot(snap_.get(), cn.backend_slot);
    log::warn("backend {} ({}): connect {}{}{}", b ? b->id : std::to_string(cn.backend_slot),
              b ? to_string(b->address) : std::string("?"),
              timed_out ? "timed out after " : "failed: ",
              timed_out ? fmt::format("{} ms", cfg_.connect_timeout.count())
                        : std::string(std::strerror(err)),
              rl.suppressed ? fmt::format(" ({} more since the last report)", rl.suppressed)
                            : std::string());
    rl.last_ms = now_ms;
    rl.suppressed = 0;
}

void tcp_proxy::on_connect_timeout(std::uint32_t slot, conn& cn) noexcept {
    // -ETIME: it fired and the connect completes with -ECANCELED; -ECANCELED: the connect
    // finished first. Either way the connect's own CQE carries the outcome.
    --cn.pending;
    if (cn.state == conn_state::closing) op_done(slot, cn);
}

void tcp_proxy::release_backend(conn& cn) noexcept {
    if (cn.shared == nullptr) return;
    routing::release(*cn.shared);
    if (cn.backend_slot < live_by_slot_.size() && live_by_slot_[cn.backend_slot] > 0)
        --live_by_slot_[cn.backend_slot];
    cn.shared = nullptr;
}

}  // namespace edge::engine
