// The TCP proxy component: set-up, the dispatch of its completions, routing table swaps, timers
// and drain. The connection life is in connect.cpp and relay.cpp.

#include "engine/tcp/tcp_proxy.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.hpp"

namespace edge::engine {

namespace {

__kernel_timespec to_kernel_timespec(std::chrono::milliseconds d) noexcept {
    __kernel_timespec ts{};
    ts.tv_sec = d.count() / 1000;
    ts.tv_nsec = static_cast<long long>(d.count() % 1000) * 1000000;
    return ts;
}

}  // namespace

std::uint32_t tcp_proxy::slab_capacity(const setup& s) noexcept {
    // Room beyond the limit for the burst a multishot accept delivers before its cancel lands.
    return s.conn_limit + 256;
}

tcp_proxy::tcp_proxy(worker_core& core, setup&& s)
    : core_(core),
      cfg_(core.cfg()),
      metrics_(core.metrics()),
      setup_(std::move(s)),
      gate_(core, family, setup_.listeners, setup_.listener_owner, setup_.conn_limit),
      bindings_(setup_.bindings),
      log_ring_(setup_.access_log),
      snap_(std::move(setup_.snapshot)),
      geo_db_(std::move(setup_.geo_db)),
      region_map_(setup_.region_map ? std::move(setup_.region_map)
                                    : std::make_shared<const geo::region_map>()),
      selection_(core.index()) {}

tcp_proxy::~tcp_proxy() {
    // Connections still open when the loop ended (a forced stop) close with the process.
    if (!conns_) return;
    for (std::uint32_t i = 0; i < conns_->high_water(); ++i) {
        if (!conns_->in_use(i)) continue;
        conn& cn = (*conns_)[i];
        for (int& fd : cn.fd)
            if (fd >= 0) ::close(std::exchange(fd, -1));
        release_backend(cn);
    }
}

bool tcp_proxy::start(std::string& error) noexcept {
    auto pool = core_.add_buffer_group(cfg_.buffers, cfg_.buffer_size);
    if (!pool) {
        error = fmt::format("provided buffer ring ({} x {} bytes): {}", cfg_.buffers,
                            cfg_.buffer_size, error_text(pool.error()));
        return false;
    }
    pool_ = *pool;
    // Spill room for four pools' worth of bytes waiting on slow readers (buffer_pressure.cpp);
    // reserved, not resident, until used. Ids are 16-bit.
    unsigned spill = std::min<unsigned>(4 * cfg_.buffers, 65534 - cfg_.buffers);
    auto store = buffer_store::create(*pool_, spill);
    if (!store) {
        error = "cannot reserve memory for relay buffers";
        return false;
    }
    store_.emplace(std::move(*store));
    std::uint32_t capacity = slab_capacity(setup_);
    auto s = slab<conn>::create(capacity);
    auto t = core_.reserve_timers(capacity);
    auto po = mmap_array<proxy_out>::create(capacity);
    auto tr = mmap_array<access_record>::create(log_ring_ ? capacity : 0);
    if (!s || !t || !po || !tr) {
        error = "cannot reserve memory for the connection table";
        return false;
    }
    conns_.emplace(std::move(*s));
    timers_ = *t;
    proxy_out_ = std::move(*po);
    trace_ = std::move(*tr);
    starved_.reserve(1024);  // ENOBUFS is rare; this keeps even a bad burst allocation-free
    if (auto m = metrics_.map_backends(cfg_.max_backends); !m) {
        error = "cannot reserve memory for per-backend metrics";
        return false;
    }
    live_by_slot_.assign(snap_ ? snap_->slot_capacity : 0, 0);
    connect_ts_ = to_kernel_timespec(cfg_.connect_timeout);
    gate_.start();
    return true;
}

void tcp_proxy::on_completion(const completion& c) noexcept {
    const op_tag t = op_tag::decode(c.user_data);
    switch (static_cast<tcp_op>(t.op)) {
        case tcp_op::accept: {
            if (auto a = gate_.on_accept(t.slot, t.gen, t.dir != 0, c)) start_conn(*a);
            if (draining_)
                gate_.finish_listener(t.slot, [this](accept_gate::accepted a) { start_conn(a); });
            return;
        }
        case tcp_op::accept_retry:
            gate_.on_retry();
            return;
        case tcp_op::cancel:
        case tcp_op::close:
            // Posted only on failure (CQE_SKIP_SUCCESS). A cancel that found nothing is normal
            // (the request had already finished); a failed close leaks nothing we can recover.
            if (c.res < 0 && c.res != -ENOENT && c.res != -EALREADY)
                log::debug("{} failed: {}",
                           t.op == std::uint8_t(tcp_op::cancel) ? "cancel" : "close", -c.res);
            return;
        default:
            break;
    }
    if (t.slot >= conns_->capacity() || !conns_->is_current(t.slot, t.gen)) {
        on_stale(t, c);
        return;
    }
    conn& cn = (*conns_)[t.slot];
    switch (static_cast<tcp_op>(t.op)) {
        case tcp_op::recv:
            on_recv(t.slot, cn, t.dir, c);
            return;
        case tcp_op::send:
            on_send(t.slot, cn, t.dir, c);
            return;
        case tcp_op::connect:
            on_connect(t.slot, cn, c);
            return;
        case tcp_op::connect_timeout:
            on_connect_timeout(t.slot, cn);
            return;
        case tcp_op::proxy_send:
            on_proxy_sent(t.slot, cn, c);
            return;
        default:
            log::error("TCP completion with unknown op {} (user_data {:#x})", t.op, c.user_data);
            return;
    }
}

void tcp_proxy::on_stale(const op_tag& t, const completion& c) noexcept {
    // A connection is freed only when none of its operations is left in the kernel, so this
    // means a bookkeeping bug. Keep the pool whole and count it.
    metrics_.stale_cqes.add();
    if (static_cast<tcp_op>(t.op) == tcp_op::recv && c.has_buffer() && c.res > 0) {
        buffer_queue q;
        store_->append_received(q, c.buffer_id(), static_cast<std::uint32_t>(c.res));
        store_->drop(q);
    }
}

void tcp_proxy::on_message(tables_message& m) noexcept {
    // The control thread still holds what we replace and frees it after every worker has
    // acknowledged, so dropping our references here never frees on the worker's loop.
    if (m.snap) {
        if (m.snap->slot_capacity > live_by_slot_.size())
            live_by_slot_.resize(m.snap->slot_capacity, 0);
        snap_ = std::move(m.snap);
    }
    // The lookup cache notices a new database or map by its generation / fingerprint.
    if (m.geo_db) geo_db_ = std::move(m.geo_db);
    if (m.region_map) region_map_ = std::move(m.region_map);
}

void tcp_proxy::on_timer(std::uint32_t slot) noexcept {
    if (!conns_->in_use(slot)) return;
    conn& cn = (*conns_)[slot];
    if (cn.state == conn_state::awaiting_header) {
        reject_conn(slot, cn, reject_reason::header_timeout);
        return;
    }
    if (cn.state != conn_state::relaying) return;
    const std::uint64_t idle_ticks = to_ticks(cfg_.idle_timeout);
    std::uint64_t quiet = core_.now_tick() - cn.last_active;
    if (quiet >= idle_ticks) {
        close_conn(slot, cn, close_reason::idle_timeout);
        return;
    }
    timers_.schedule(slot, cn.last_active + idle_ticks);
}

void tcp_proxy::start_drain() noexcept {
    draining_ = true;
    gate_.start_drain([this](accept_gate::accepted a) { start_conn(a); });
    log::info("draining: accepts stopped, {} connections open, up to {} ms to finish",
              conns_->used(), cfg_.drain_timeout.count());
}

void tcp_proxy::force_close() noexcept {
    log::warn("drain timeout: closing {} connections still open", conns_->used());
    for (std::uint32_t i = 0; i < conns_->high_water(); ++i) {
        if (!conns_->in_use(i)) continue;
        conn& cn = (*conns_)[i];
        if (cn.state != conn_state::closing) close_conn(i, cn, close_reason::drain_timeout);
    }
}

}  // namespace edge::engine
