// UDP → TUN: datagrams read by one multishot recvmsg (with UDP GRO, one read carries a run of
// one sender's datagrams), data messages opened in place in batches per keypair, each packet
// written to this worker's TUN queue straight from the receive buffer. Handshake and cookie
// messages go to the control thread.

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "engine/codec/gso.hpp"
#include "engine/codec/tcp_coalesce.hpp"
#include "engine/tunnel/data_path.hpp"
#include "wg/messages.hpp"

#ifndef UDP_GRO
#define UDP_GRO 104  // Linux 5.0 uapi; older libc headers lack it
#endif

namespace edge::engine {

namespace {

std::uint32_t load_le32(const std::uint8_t* p) noexcept {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
           std::uint32_t(p[3]) << 24;
}

/// The segment size UDP GRO reports for a read that carries several datagrams; 0: one datagram.
/// The control area sits after the name in the provided buffer, where nothing aligns it for a
/// cmsghdr: each header is read by copy, never through a cast (UBSan caught the cast).
std::size_t gro_segment_size(const msghdr& control) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(control.msg_control);
    std::size_t left = p != nullptr ? control.msg_controllen : 0;
    while (left >= sizeof(cmsghdr)) {
        cmsghdr h;
        std::memcpy(&h, p, sizeof h);
        if (h.cmsg_len < sizeof(cmsghdr) || h.cmsg_len > left) return 0;
        if (h.cmsg_level == SOL_UDP && h.cmsg_type == UDP_GRO &&
            h.cmsg_len >= CMSG_LEN(sizeof(int))) {
            int size = 0;
            std::memcpy(&size, p + CMSG_LEN(0), sizeof size);
            return size > 0 ? static_cast<std::size_t>(size) : 0;
        }
        const std::size_t step = CMSG_ALIGN(h.cmsg_len);
        if (step >= left) return 0;
        p += step;
        left -= step;
    }
    return 0;
}

}  // namespace

void tunnel_data_path::arm_udp_recv() noexcept {
    if (udp_armed_ || draining_) return;
    core_.io().prep_recvmsg_multishot(setup_.udp_fd, &recv_template_, udp_pool_->group(),
                                      tag(op::udp_recv));
    udp_armed_ = true;
}

void tunnel_data_path::on_udp_recv(const completion& c) noexcept {
    if (!c.has_more()) udp_armed_ = false;
    if (c.res < 0) {
        if (c.res == -ENOBUFS)
            udp_starved_ = true;  // every buffer waits on TUN writes: re-armed after the batch
        else if (c.res != -ECANCELED)
            log::warn("tunnel: receiving UDP: {}", std::strerror(-c.res));
        if (!udp_starved_) arm_udp_recv();
        return;
    }
    const std::uint16_t bid = c.buffer_id();
    udp_pool_->on_taken(1);
    udp_refs_[bid] = 1;  // held while this read is processed; each TUN write adds one
    msghdr control{};
    recvmsg_view v;
    if (parse_recvmsg(udp_pool_->data(bid), static_cast<unsigned>(c.res), recv_template_, control,
                      v) &&
        !(v.flags & MSG_TRUNC)) {
        const socket_address from = socket_address::from_sockaddr(v.name, v.name_len);
        std::size_t segment = gro_segment_size(*v.control);
        if (segment == 0 || segment > v.payload_len) segment = v.payload_len;
        if (segment < v.payload_len) metrics_->gro_batches.add();
        std::size_t batched = 0;
        wg::keypair* batch_kp = nullptr;
        for (std::size_t at = 0; at < v.payload_len; at += segment) {
            std::size_t len = std::min(segment, v.payload_len - at);
            std::uint8_t* d = v.payload + at;
            metrics_->udp_datagrams_in.add();
            if (len < 4) {
                metrics_->drops[std::size_t(tunnel_drop::not_wireguard)].add();
                continue;
            }
            const std::uint32_t type = load_le32(d);
            if (type == std::uint32_t(wg::message_type::data) &&
                len >= wg::data_header_size + wg::tag_size) {
                wg::keypair* kp = keys_.find(load_le32(d + 4));
                if (kp == nullptr) {
                    metrics_->drops[std::size_t(tunnel_drop::unknown_index)].add();
                    continue;
                }
                if (kp != batch_kp || batched == max_batch) {
                    if (batched > 0)
                        open_batch(std::span(inbound_.data(), batched), *batch_kp, from, bid);
                    batched = 0;
                    batch_kp = kp;
                }
                inbound_[batched++] = wg::inbound_packet{{d, len}, {}, 0, wg::error::none};
            } else if (type >= 1 && type <= 3 && len <= max_tunnel_packet) {
                // Handshake, response, cookie reply: the control thread's business.
                tunnel_event e;
                e.what = tunnel_event::kind::handshake;
                e.from = from;
                e.len = static_cast<std::uint16_t>(len);
                std::memcpy(e.bytes.data(), d, len);
                emit(std::move(e), true);
            } else {
                metrics_->drops[std::size_t(tunnel_drop::not_wireguard)].add();
            }
        }
        if (batched > 0) open_batch(std::span(inbound_.data(), batched), *batch_kp, from, bid);
    } else {
        metrics_->drops[std::size_t(tunnel_drop::not_wireguard)].add();
    }
    release_udp_buffer(bid);
    if (!udp_armed_ && !udp_starved_) arm_udp_recv();
}

void tunnel_data_path::open_batch(std::span<wg::inbound_packet> batch, wg::keypair& kp,
                                  const socket_address& from, std::uint16_t bid) noexcept {
    wg::batch_outcome o = wg::decapsulate(kp, batch, table_.get(), now(), metrics_->rejections);
    tunnel_peer_counters& pc = metrics_->peers[kp.peer()];
    for (const wg::inbound_packet& p : batch) {
        if (p.err == wg::error::decrypt_failed) pc.decrypt_failures.add();
        if (p.err == wg::error::replay) pc.replays.add();
    }
    if (o.done == 0) return;
    write_to_tun(batch, bid);
    note_received(kp.peer(), kp.local_index(), from, o);
    pc.rx_packets.add(o.data);
    pc.rx_bytes.add(o.bytes);
}

void tunnel_data_path::write_to_tun(std::span<wg::inbound_packet> batch,
                                    std::uint16_t bid) noexcept {
    const std::size_t header = setup_.vnet_header ? vnet_header::size : 0;
    std::array<tcp_segment, max_batch> run;
    for (std::size_t i = 0; i < batch.size();) {
        wg::inbound_packet& p = batch[i];
        if (p.err != wg::error::none || p.plain.empty()) {
            ++i;
            continue;
        }
        // A run of one TCP flow's segments goes as one super-packet (a copy into a coalescing
        // buffer, one write); anything else as it is, from the receive buffer.
        std::size_t n = 0;
        std::size_t next = i + 1;
        if (header != 0 && !free_coalesce_.empty()) {
            run[0] = tcp_segment::parse(p.plain);
            if (run[0].valid) {
                n = 1;
                std::size_t bytes = run[0].bytes.size();
                for (; next < batch.size(); ++next) {
                    const wg::inbound_packet& q = batch[next];
                    if (q.err != wg::error::none || q.plain.empty()) break;
                    tcp_segment s = tcp_segment::parse(q.plain);
                    if (!continues(run[0], run[n - 1], s, bytes)) break;
                    bytes += s.payload;
                    run[n++] = s;
                }
            }
        }
        if (n >= 2) {
            std::uint16_t c = free_coalesce_.back();
            free_coalesce_.pop_back();
            std::uint8_t* out = coalesce_memory_.get() + std::size_t(c) * coalesce_size;
            std::size_t len = write_coalesced({run.data(), n}, {out, coalesce_size});
            core_.io().prep_write(setup_.tun_fd, out, static_cast<unsigned>(len),
                                  tag(op::tun_write_coalesced, c));
            metrics_->gro_runs.add();
            i = next;
            continue;
        }
        // The virtio-net header goes in the data message's own header room, just before the
        // packet: no copy. The AEAD has authenticated the packet, so the kernel need not verify
        // its checksums again (Linux's WireGuard marks them CHECKSUM_UNNECESSARY likewise).
        std::uint8_t* start = p.plain.data() - header;
        if (header != 0) {
            vnet_header h;
            h.flags = vnet_header::f_data_valid;
            h.write({start, header});
        }
        core_.io().prep_write(setup_.tun_fd, start, static_cast<unsigned>(p.plain.size() + header),
                              tag(op::tun_write, bid));
        ++udp_refs_[bid];
        ++i;
    }
}

void tunnel_data_path::on_coalesced_written(std::uint32_t buffer, const completion& c) noexcept {
    if (c.res < 0) {
        metrics_->drops[std::size_t(tunnel_drop::tun_write)].add();
        log::debug("tunnel: writing a coalesced run to the TUN device: {}", std::strerror(-c.res));
    } else {
        metrics_->tun_writes.add();
    }
    free_coalesce_.push_back(static_cast<std::uint16_t>(buffer));
}

void tunnel_data_path::on_tun_written(std::uint32_t bid, const completion& c) noexcept {
    if (c.res < 0) {
        metrics_->drops[std::size_t(tunnel_drop::tun_write)].add();
        log::debug("tunnel: writing to the TUN device: {}", std::strerror(-c.res));
    } else {
        metrics_->tun_writes.add();
    }
    release_udp_buffer(static_cast<std::uint16_t>(bid));
}

void tunnel_data_path::release_udp_buffer(std::uint16_t bid) noexcept {
    if (--udp_refs_[bid] == 0) udp_pool_->give_back(bid);
}

}  // namespace edge::engine
