// TUN → UDP: packets read from this worker's TUN queue, cut into MTU-sized packets when the
// kernel handed over a TSO super-packet, sealed for their peer in one batch, and sent with one
// sendmsg per batch (UDP GSO: the kernel cuts the batch into its datagrams).

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "engine/codec/gso.hpp"
#include "engine/tunnel/data_path.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103  // Linux 4.18 uapi; older libc headers lack it
#endif

namespace edge::engine {

namespace {

/// The largest payload one UDP GSO send may carry (one IP datagram before the kernel cuts it).
constexpr std::size_t max_gso_bytes = 65000;

void to_sockaddr(const socket_address& a, sockaddr_in6& out) noexcept {
    // The socket is dual-stack IPv6: an IPv4 peer is addressed as ::ffff:a.b.c.d.
    out = sockaddr_in6{};
    out.sin6_family = AF_INET6;
    if (a.family() == AF_INET6) {
        out = a.addr.v6;
        return;
    }
    out.sin6_port = a.addr.v4.sin_port;
    out.sin6_addr.s6_addr[10] = 0xff;
    out.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&out.sin6_addr.s6_addr[12], &a.addr.v4.sin_addr, 4);
}

}  // namespace

void tunnel_data_path::arm_tun_reads() noexcept {
    // A read may bring a 64 KiB super-packet: arm one only while its segments would find send
    // slots (a TSO packet of 64 KiB at an MSS near 1400 is 47 segments).
    while (tun_reads_ < tun_reads_armed && free_slots_.size() >= 48 * (tun_reads_ + 1) &&
           !draining_ && !tun_gone_) {
        core_.io().prep_read_provided(setup_.tun_fd, tun_pool_->group(), tun_pool_->size(),
                                      tag(op::tun_read, tun_generation_));
        ++tun_reads_;
    }
}

void tunnel_data_path::on_tun_read(std::uint32_t generation, const completion& c) noexcept {
    if (generation != tun_generation_) {
        // A read of a queue replaced since: its packet (if any) is dropped, its buffer kept.
        if (c.res > 0 && c.has_buffer()) {
            tun_pool_->on_taken(1);
            tun_pool_->give_back(c.buffer_id());
        }
        return;
    }
    --tun_reads_;
    if (c.res <= 0) {
        if (c.res == -ENOBUFS || c.res == -EAGAIN || c.res == -EINTR || c.res == -ECANCELED)
            return;  // re-armed after the batch
        if (c.res == -EBADFD || c.res == -EIO || c.res == -ENXIO) {
            // The interface was deleted from outside: the control thread recreates it and hands
            // every worker its new queue.
            if (!tun_gone_) {
                tun_gone_ = true;
                tunnel_event e;
                e.what = tunnel_event::kind::tun_gone;
                emit(std::move(e), true);
            }
            return;
        }
        log::warn("tunnel: reading the TUN device: {}", std::strerror(-c.res));
        return;
    }
    metrics_->tun_reads.add();
    std::uint16_t bid = c.buffer_id();
    tun_pool_->on_taken(1);
    const auto* data = reinterpret_cast<const std::uint8_t*>(tun_pool_->data(bid));
    std::size_t len = static_cast<std::size_t>(c.res);
    if (setup_.vnet_header) {
        if (len > vnet_header::size)
            seal_and_send({data + vnet_header::size, len - vnet_header::size}, data);
        else
            metrics_->drops[std::size_t(tunnel_drop::bad_packet)].add();
    } else {
        seal_and_send({data, len}, nullptr);
    }
    // The segments were copied into send slots: the read buffer goes straight back.
    tun_pool_->give_back(bid);
}

void tunnel_data_path::seal_and_send(std::span<const std::uint8_t> packet,
                                     const std::uint8_t* vnet) noexcept {
    vnet_header h;
    if (vnet != nullptr) h = vnet_header::read({vnet, vnet_header::size});
    gso_splitter split;
    if (split.start(h, packet) != gso_error::none) {
        metrics_->drops[std::size_t(tunnel_drop::bad_packet)].add();
        return;
    }
    const wg::peer_id peer = table_ ? table_->destination_peer(packet) : wg::no_peer;
    if (peer == wg::no_peer) {
        metrics_->drops[std::size_t(tunnel_drop::no_route)].add();
        return;
    }
    wg::keypair* kp = keys_.sending(peer);
    if (kp == nullptr) {
        // No session yet: the control thread stages the packets and starts a handshake.
        metrics_->peers[peer].no_session.add(split.count());
        for (std::size_t i = 0; i < split.count(); ++i) {
            if (split.length(i) > max_tunnel_packet) continue;
            tunnel_event e;
            e.what = tunnel_event::kind::unrouted;
            e.peer = peer;
            e.len = static_cast<std::uint16_t>(split.length(i));
            split.write(i, e.bytes);
            emit(std::move(e), true);
        }
        return;
    }
    const socket_address* to =
        endpoints_ && peer < endpoints_->size() ? &(*endpoints_)[peer] : nullptr;
    if (to == nullptr || to->empty()) {
        metrics_->drops[std::size_t(tunnel_drop::no_endpoint)].add();
        return;
    }
    metrics_->gso_segments.add(split.count() > 1 ? split.count() : 0);
    // Batches that fit one UDP GSO send (64 KiB, 64 datagrams), each sealed together into send
    // slots and sent with one sendmsg.
    const std::size_t datagram = wg::outbound_headroom + setup_.mtu + wg::outbound_tailroom;
    const std::size_t per_send = std::clamp<std::size_t>(max_gso_bytes / datagram, 1, max_batch);
    for (std::size_t first = 0; first < split.count(); first += per_send) {
        std::size_t n = std::min(per_send, split.count() - first);
        if (free_slots_.size() < n || free_records_.empty()) {
            metrics_->drops[std::size_t(tunnel_drop::no_buffer)].add(split.count() - first);
            return;
        }
        std::uint16_t index = free_records_.back();
        free_records_.pop_back();
        send_record& r = records_[index];
        for (std::size_t i = 0; i < n; ++i) {
            std::uint16_t slot = free_slots_.back();
            free_slots_.pop_back();
            r.slots[i] = slot;
            std::uint8_t* buf = slot_memory_.get() + std::size_t(slot) * slot_size;
            std::size_t len = split.length(first + i);
            split.write(first + i, {buf + wg::outbound_headroom, len});
            outbound_[i] = wg::outbound_packet{{buf, slot_size}, len, 0, wg::error::none};
        }
        r.peer = peer;
        wg::batch_outcome o = wg::encapsulate(*kp, std::span(outbound_.data(), n), setup_.mtu,
                                              now(), metrics_->rejections);
        note_sent(peer, o);
        tunnel_peer_counters& pc = metrics_->peers[peer];
        pc.tx_packets.add(o.data);
        pc.tx_bytes.add(o.bytes);
        send_batch(index, n, *to);
    }
}

void tunnel_data_path::send_batch(std::uint16_t index, std::size_t n,
                                  const socket_address& to) noexcept {
    send_record& r = records_[index];
    // A packet encapsulate refused (expired keys, too big) leaves a hole that is not sent. The
    // rest are segments of one packet: all of one size but the last, which is what UDP GSO cuts.
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const wg::outbound_packet& p = outbound_[i];
        if (p.err != wg::error::none) {
            free_slots_.push_back(r.slots[i]);
            continue;
        }
        r.slots[k] = r.slots[i];
        r.iov[k].iov_base = p.buffer.data();
        r.iov[k].iov_len = p.datagram_len;
        ++k;
    }
    r.count = static_cast<std::uint16_t>(k);
    if (k == 0) {
        free_records_.push_back(index);
        return;
    }
    to_sockaddr(to, r.to);
    r.msg = msghdr{};
    r.msg.msg_name = &r.to;
    r.msg.msg_namelen = sizeof r.to;
    r.msg.msg_iov = r.iov;
    r.msg.msg_iovlen = k;
    if (k > 1) {
        r.msg.msg_control = r.control;
        r.msg.msg_controllen = sizeof r.control;
        cmsghdr* cm = CMSG_FIRSTHDR(&r.msg);
        cm->cmsg_level = SOL_UDP;
        cm->cmsg_type = UDP_SEGMENT;
        cm->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        auto size = static_cast<std::uint16_t>(r.iov[0].iov_len);
        std::memcpy(CMSG_DATA(cm), &size, sizeof size);
    }
    core_.io().prep_sendmsg(setup_.udp_fd, &r.msg, tag(op::udp_send, index), false);
    ++sends_in_flight_;
    metrics_->udp_datagrams_out.add(k);
}

void tunnel_data_path::on_udp_sent(std::uint32_t index, const completion& c) noexcept {
    send_record& r = records_[index];
    --sends_in_flight_;
    if (c.res < 0) {
        metrics_->drops[std::size_t(tunnel_drop::udp_send)].add(r.count);
        log::debug("tunnel: UDP send: {}", std::strerror(-c.res));
    }
    for (std::size_t i = 0; i < r.count; ++i)
        free_slots_.push_back(r.slots[i]);
    r.count = 0;
    free_records_.push_back(static_cast<std::uint16_t>(index));
}

void tunnel_data_path::send_control_datagram(const tunnel_datagram_message& m) noexcept {
    if (free_slots_.empty() || free_records_.empty() || m.len > slot_size) {
        metrics_->drops[std::size_t(tunnel_drop::no_buffer)].add();
        return;
    }
    std::uint16_t index = free_records_.back();
    free_records_.pop_back();
    send_record& s = records_[index];
    std::uint16_t slot = free_slots_.back();
    free_slots_.pop_back();
    std::uint8_t* buf = slot_memory_.get() + std::size_t(slot) * slot_size;
    std::memcpy(buf, m.bytes.data(), m.len);
    s.slots[0] = slot;
    s.count = 1;
    s.iov[0] = iovec{buf, m.len};
    to_sockaddr(m.to, s.to);
    s.msg = msghdr{};
    s.msg.msg_name = &s.to;
    s.msg.msg_namelen = sizeof s.to;
    s.msg.msg_iov = s.iov;
    s.msg.msg_iovlen = 1;
    core_.io().prep_sendmsg(setup_.udp_fd, &s.msg, tag(op::udp_send, index), false);
    ++sends_in_flight_;
    metrics_->udp_datagrams_out.add();
}

}  // namespace edge::engine
