// The tunnel data path's set-up, dispatch, the control thread's messages, and the events that go
// back to it. The packet paths are in outbound.cpp and inbound.cpp.

#include "engine/tunnel/data_path.hpp"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "engine/codec/gso.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine {

namespace {

/// How often activity alone (no urgent event) wakes the control thread: its timers and roaming
/// need the news, not within microseconds.
constexpr std::uint64_t activity_report_ms = 10;

}  // namespace

tunnel_data_path::tunnel_data_path(worker_core& core, setup&& s)
    : core_(core), setup_(std::move(s)), metrics_(setup_.metrics) {}

tunnel_data_path::~tunnel_data_path() = default;

wg::time_ns tunnel_data_path::now() const noexcept {
    // The coarse clock of this loop iteration (the control thread reads the same
    // CLOCK_MONOTONIC_COARSE): Reject-After-Time checks are seconds, not nanoseconds.
    return std::chrono::milliseconds(core_.now_ms());
}

bool tunnel_data_path::start(std::string& error) noexcept {
    if (!enabled()) return true;  // no tunnel configured: the component does nothing
    // One TUN read carries up to 64 KiB (a TSO super-packet) after its virtio-net header.
    auto tun = core_.add_buffer_group(64, 65536 + 64);
    // One UDP read carries a GRO batch of up to 64 KiB, after the recvmsg header, name and
    // control message.
    auto udp = core_.add_buffer_group(64, 65536 + 256);
    if (!tun || !udp) {
        error = "tunnel: cannot create its buffer groups";
        return false;
    }
    tun_pool_ = *tun;
    udp_pool_ = *udp;
    slot_memory_.reset(new (std::nothrow) std::uint8_t[std::size_t(send_slots) * slot_size]);
    records_.reset(new (std::nothrow) send_record[send_records]);
    udp_refs_.reset(new (std::nothrow) std::uint16_t[udp_pool_->count()]());
    if (setup_.vnet_header) {
        coalesce_memory_.reset(new (std::nothrow)
                                   std::uint8_t[std::size_t(coalesce_buffers) * coalesce_size]);
        for (unsigned i = coalesce_buffers; i-- > 0;)
            free_coalesce_.push_back(static_cast<std::uint16_t>(i));
    }
    if (!slot_memory_ || !records_ || !udp_refs_ || (setup_.vnet_header && !coalesce_memory_)) {
        error = "tunnel: cannot reserve its send slots";
        return false;
    }
    free_slots_.reserve(send_slots);
    for (unsigned i = send_slots; i-- > 0;)
        free_slots_.push_back(static_cast<std::uint16_t>(i));
    free_records_.reserve(send_records);
    for (unsigned i = send_records; i-- > 0;)
        free_records_.push_back(static_cast<std::uint16_t>(i));
    activity_.resize(256);
    dirty_.reserve(256);
    if (auto m = metrics_->map_peers(); !m) {
        error = "tunnel: cannot reserve per-peer counters";
        return false;
    }
    // What a multishot recvmsg fills in besides the payload: the sender, and UDP_GRO's segment
    // size.
    recv_template_.msg_namelen = sizeof(sockaddr_in6);
    recv_template_.msg_controllen = CMSG_SPACE(sizeof(int));
    arm_tun_reads();
    arm_udp_recv();
    return true;
}

void tunnel_data_path::on_completion(const completion& c) noexcept {
    const op_tag t = op_tag::decode(c.user_data);
    switch (static_cast<op>(t.op)) {
        case op::tun_read:
            on_tun_read(t.slot, c);
            return;
        case op::tun_write:
            on_tun_written(t.slot, c);
            return;
        case op::tun_write_coalesced:
            on_coalesced_written(t.slot, c);
            return;
        case op::udp_recv:
            on_udp_recv(c);
            return;
        case op::udp_send:
            on_udp_sent(t.slot, c);
            return;
        case op::wake:
            wake_in_flight_ = false;
            return;
        case op::cancel:
            return;
    }
    log::error("tunnel completion with unknown op {} (user_data {:#x})", t.op, c.user_data);
}

void tunnel_data_path::after_batch() noexcept {
    if (!enabled()) return;
    if (udp_starved_ && udp_pool_->free_count() >= udp_pool_->count() / 4) {
        udp_starved_ = false;
        arm_udp_recv();
    }
    arm_tun_reads();
    // Ring the control thread through this worker's ring (a write SQE batched with the rest):
    // at once for a handshake or a packet waiting for one, at most every few ms for activity,
    // which accumulates per peer until then (one event per peer and direction per report).
    bool due =
        wake_pending_ || (!dirty_.empty() && core_.now_ms() >= last_wake_ms_ + activity_report_ms);
    if (due && !wake_in_flight_) {
        flush_activity();
        core_.io().prep_write(setup_.events->wake_fd(), setup_.events->one(), 8, tag(op::wake));
        wake_in_flight_ = true;
        wake_pending_ = false;
        last_wake_ms_ = core_.now_ms();
    }
}

// ---------------------------------------------------------------------------------------------
// the control thread's messages

void tunnel_data_path::on_message(tunnel_keys_message& m) noexcept {
    // Once per handshake (every two minutes per peer), never per packet: the allocation in the
    // index is fine here, and the keypairs replaced are released (their keys wiped by whoever
    // drops the last reference).
    if (!m.sessions.current && !m.sessions.previous && !m.sessions.next)
        keys_.remove(m.peer);
    else
        keys_.update(m.peer, m.sessions);
}

void tunnel_data_path::on_message(tunnel_routes_message& m) noexcept {
    table_ = std::move(m.table);
    endpoints_ = std::move(m.endpoints);
    if (endpoints_ && endpoints_->size() > activity_.size()) activity_.resize(endpoints_->size());
}

void tunnel_data_path::on_message(tunnel_datagram_message& m) noexcept {
    if (enabled()) send_control_datagram(m);
}

void tunnel_data_path::on_message(tunnel_queue_message& m) noexcept {
    // Reads still pending on the old queue end (their completions carry the old generation);
    // the control thread keeps the old descriptor open, so cancelling by it is safe.
    if (setup_.tun_fd >= 0) core_.io().prep_cancel_fd(setup_.tun_fd, tag(op::cancel));
    setup_.tun_fd = m.fd;
    ++tun_generation_;
    tun_reads_ = 0;
    tun_gone_ = false;
    log::info("tunnel: reading the new TUN queue");
    arm_tun_reads();
}

// ---------------------------------------------------------------------------------------------
// events for the control thread

void tunnel_data_path::emit(tunnel_event&& e, bool urgent) noexcept {
    if (!setup_.events->push(std::move(e))) {
        metrics_->drops[std::size_t(tunnel_drop::events_full)].add();
        return;
    }
    if (urgent) wake_pending_ = true;
}

void tunnel_data_path::note_sent(wg::peer_id peer, const wg::batch_outcome& o) noexcept {
    if (peer >= activity_.size()) activity_.resize(peer + 1);
    activity& a = activity_[peer];
    a.sent += static_cast<std::uint32_t>(o.done);
    a.sent_data += static_cast<std::uint32_t>(o.data);
    a.sent_bytes += o.bytes;
    a.sent_rekey |= o.should_rekey;
    if (!a.dirty) {
        a.dirty = true;
        dirty_.push_back(peer);
    }
}

void tunnel_data_path::note_received(wg::peer_id peer, std::uint32_t local_index,
                                     const socket_address& from,
                                     const wg::batch_outcome& o) noexcept {
    if (peer >= activity_.size()) activity_.resize(peer + 1);
    activity& a = activity_[peer];
    a.received += static_cast<std::uint32_t>(o.done);
    a.received_data += static_cast<std::uint32_t>(o.data);
    a.received_bytes += o.bytes;
    a.received_rekey |= o.should_rekey;
    a.local_index = local_index;
    a.from = from;
    if (!a.dirty) {
        a.dirty = true;
        dirty_.push_back(peer);
    }
}

void tunnel_data_path::flush_activity() noexcept {
    for (wg::peer_id peer : dirty_) {
        activity& a = activity_[peer];
        if (a.sent) {
            tunnel_event e;
            e.what = tunnel_event::kind::sent;
            e.peer = peer;
            e.packets = a.sent;
            e.data = a.sent_data;
            e.data_bytes = a.sent_bytes;
            e.should_rekey = a.sent_rekey;
            emit(std::move(e), false);
        }
        if (a.received) {
            tunnel_event e;
            e.what = tunnel_event::kind::received;
            e.peer = peer;
            e.local_index = a.local_index;
            e.from = a.from;
            e.packets = a.received;
            e.data = a.received_data;
            e.data_bytes = a.received_bytes;
            e.should_rekey = a.received_rekey;
            emit(std::move(e), false);
        }
        a = activity{};
    }
    dirty_.clear();
}

}  // namespace edge::engine
