#pragma once
// The WireGuard tunnel's data path: the worker component that moves packets between this worker's
// TUN queue and its UDP socket, sealing and opening them with the keypairs the control thread
// hands it (wg/transport.hpp). Handshakes, timers and peers live on the control thread
// (engine/control/tunnel_control); what the data path learns for them (handshake messages,
// packets that wait for a session, per-peer activity for timers and roaming) goes back through
// an event_channel.
//
//   TUN read (one packet, or a TSO super-packet with its virtio-net header)
//     → cut into MTU-sized packets (engine/codec/gso) → the peer by destination (allowed IPs)
//     → sealed in one batch into send slots → one sendmsg with UDP GSO per batch
//   UDP recvmsg (one datagram, or a GRO batch of one sender's datagrams)
//     → data messages opened in batches per keypair (in place) → each packet written to the TUN
//       queue straight from the receive buffer (its virtio-net header written in the data
//       message's own header room), the buffer returned when the last write completes
//
// Where things are: data_path.cpp (set-up, dispatch, messages, events), outbound.cpp,
// inbound.cpp. Nothing allocates or locks per packet; the keypairs' counters and replay windows
// are the sanctioned sharing of wg/keypair.hpp.

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/host/event_channel.hpp"
#include "engine/host/tunnel_messages.hpp"
#include "engine/host/tunnel_metrics.hpp"
#include "engine/host/worker_core.hpp"
#include "engine/uring/op_tag.hpp"
#include "wg/keypair_index.hpp"
#include "wg/transport.hpp"

namespace edge::engine {

class tunnel_data_path {
  public:
    static constexpr std::uint8_t family = 2;

    struct setup {
        int tun_fd = -1;           // this worker's TUN queue (owned by the tun_device); -1: none
        bool vnet_header = false;  // packets carry virtio-net headers (offloads negotiated)
        int udp_fd = -1;           // this worker's UDP socket (owned by main)
        std::size_t mtu = 1420;
        event_channel<tunnel_event>* events = nullptr;  // to the control thread
        tunnel_metrics* metrics = nullptr;              // this worker's block
    };

    static std::uint32_t timers_needed(const setup&) noexcept { return 0; }

    tunnel_data_path(worker_core& core, setup&& s);
    ~tunnel_data_path();
    tunnel_data_path(const tunnel_data_path&) = delete;
    tunnel_data_path& operator=(const tunnel_data_path&) = delete;

    // ---- the component contract (engine/host/worker.hpp); worker thread ----
    bool start(std::string& error) noexcept;
    const timer_slice& timers() const noexcept { return timers_; }
    void on_completion(const completion& c) noexcept;
    void after_batch() noexcept;
    void on_timer(std::uint32_t) noexcept {}
    bool wants_tick() const noexcept { return enabled() && !dirty_.empty(); }
    void on_message(tunnel_keys_message& m) noexcept;
    void on_message(tunnel_routes_message& m) noexcept;
    void on_message(tunnel_datagram_message& m) noexcept;
    void on_message(tunnel_queue_message& m) noexcept;
    void start_drain() noexcept { draining_ = true; }
    bool drained() const noexcept { return !enabled() || sends_in_flight_ == 0; }
    void force_close() noexcept {}

  private:
    enum class op : std::uint8_t {
        tun_read = 1,
        tun_write,            // a packet written from its UDP buffer (slot = buffer id)
        tun_write_coalesced,  // a run of TCP segments written as one (slot = coalesce buffer)
        udp_recv,
        udp_send,
        wake,
        cancel,
    };

    /// One sendmsg in flight: a batch of sealed datagrams to one peer, in send slots.
    struct send_record {
        msghdr msg{};
        sockaddr_in6 to{};
        alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(std::uint16_t))]{};
        iovec iov[64]{};
        std::uint16_t slots[64]{};
        std::uint16_t count = 0;
        wg::peer_id peer = wg::no_peer;
    };
    static constexpr unsigned max_batch = 64;     // datagrams per sendmsg (UDP GSO's bound is 64)
    static constexpr unsigned send_slots = 1024;  // sealed datagrams in flight
    static constexpr unsigned slot_size = 2048;
    static constexpr unsigned send_records = 64;
    // One read in flight on the TUN queue, re-armed after each batch. With several (8 were
    // tried) the kernel's wake-ups of io_uring's poll-driven retries were lost under a
    // request/response load: reads stayed armed, packets stayed queued in the device, and every
    // TCP flow through the tunnel stalled (bench/wg_tunnel's rr with 16 connections, within a
    // second; tests/e2e/wg_tunnel_test.cpp's kept-alive case). One read costs nothing in bulk
    // throughput: a read brings a 64 KiB super-packet.
    static constexpr unsigned tun_reads_armed = 1;
    static constexpr unsigned coalesce_buffers = 16;
    static constexpr unsigned coalesce_size = 65536 + 64;

    bool enabled() const noexcept { return setup_.tun_fd >= 0 && setup_.udp_fd >= 0; }
    std::uint64_t tag(op o, std::uint32_t slot = 0) const noexcept {
        return make_tag<family>(o, slot, 0);
    }
    wg::time_ns now() const noexcept;

    // ---- outbound.cpp: TUN → UDP ----
    void arm_tun_reads() noexcept;
    void on_tun_read(std::uint32_t generation, const completion& c) noexcept;
    void seal_and_send(std::span<const std::uint8_t> packet, const std::uint8_t* vnet) noexcept;
    void send_batch(std::uint16_t record, std::size_t count, const socket_address& to) noexcept;
    void on_udp_sent(std::uint32_t record, const completion& c) noexcept;
    void send_control_datagram(const tunnel_datagram_message& m) noexcept;

    // ---- inbound.cpp: UDP → TUN ----
    void arm_udp_recv() noexcept;
    void on_udp_recv(const completion& c) noexcept;
    void open_batch(std::span<wg::inbound_packet> batch, wg::keypair& kp,
                    const socket_address& from, std::uint16_t bid) noexcept;
    void on_tun_written(std::uint32_t bid, const completion& c) noexcept;
    void on_coalesced_written(std::uint32_t buffer, const completion& c) noexcept;
    void write_to_tun(std::span<wg::inbound_packet> batch, std::uint16_t bid) noexcept;
    void release_udp_buffer(std::uint16_t bid) noexcept;

    // ---- data_path.cpp: events for the control thread ----
    void emit(tunnel_event&& e, bool urgent) noexcept;
    void note_sent(wg::peer_id peer, const wg::batch_outcome& o) noexcept;
    void note_received(wg::peer_id peer, std::uint32_t local_index, const socket_address& from,
                       const wg::batch_outcome& o) noexcept;
    void flush_activity() noexcept;

    worker_core& core_;
    setup setup_;
    tunnel_metrics* metrics_;  // setup_.metrics: null without a tunnel, when nothing runs
    timer_slice timers_;
    bool draining_ = false;

    // Keys and routes as the control thread last published them (this worker's copies).
    wg::keypair_index keys_;
    std::shared_ptr<const wg::allowed_ips_table> table_;
    std::shared_ptr<const std::vector<socket_address>> endpoints_;

    // Outbound: TUN buffers, send slots and records.
    buf_ring* tun_pool_ = nullptr;
    unsigned tun_reads_ = 0;            // reads in the kernel on the current queue
    std::uint32_t tun_generation_ = 0;  // read tags carry it: reads of a replaced queue are old
    bool tun_gone_ = false;             // the interface was deleted: no reads until a new queue
    std::unique_ptr<std::uint8_t[]> slot_memory_;
    std::vector<std::uint16_t> free_slots_;
    std::unique_ptr<send_record[]> records_;
    std::vector<std::uint16_t> free_records_;
    unsigned sends_in_flight_ = 0;
    std::array<wg::outbound_packet, max_batch> outbound_{};

    // Inbound: UDP buffers, each held until the TUN writes from it complete.
    buf_ring* udp_pool_ = nullptr;
    bool udp_armed_ = false;
    bool udp_starved_ = false;
    msghdr recv_template_{};
    std::unique_ptr<std::uint16_t[]> udp_refs_;  // by buffer id: TUN writes still reading it
    std::array<wg::inbound_packet, max_batch> inbound_{};
    // Runs of one TCP flow's segments joined into one TUN write (engine/codec/tcp_coalesce).
    std::unique_ptr<std::uint8_t[]> coalesce_memory_;
    std::vector<std::uint16_t> free_coalesce_;

    // Per-peer activity of this loop iteration, reported in after_batch.
    struct activity {
        std::uint32_t sent = 0, sent_data = 0, received = 0, received_data = 0;
        std::uint64_t sent_bytes = 0, received_bytes = 0;
        bool sent_rekey = false, received_rekey = false, dirty = false;
        std::uint32_t local_index = 0;
        socket_address from;
    };
    std::vector<activity> activity_;  // by peer id
    std::vector<wg::peer_id> dirty_;  // peers with activity to report
    bool wake_pending_ = false;       // an urgent event waits for the control thread
    std::uint64_t last_wake_ms_ = 0;
    bool wake_in_flight_ = false;
};

}  // namespace edge::engine
