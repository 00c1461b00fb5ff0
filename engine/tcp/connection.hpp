#pragma once
// A proxied connection as the TCP component holds it: two sockets and two relay halves.
//
//   [awaiting_header] ──▶ accepted ──▶ connecting ──▶ relaying ──▶ closing ──▶ (slot freed)
//          │                 │             │  ▲ refused / timed out: next backend, up to
//          │                 │             │  │ --connect-attempts
//          └─────────────────┴─────────────┴──┴──▶ closing (bad or late PROXY header, no
//                                                   backend, client gone, error, idle, drain,
//                                                   evicted for holding the buffer pool)
//
// awaiting_header: on a --proxy-protocol listener, until the client's PROXY header has arrived
// whole (it sits at the front of half[0]'s queue; what follows it is the client's payload).
//
// half[0] carries client → backend bytes, half[1] backend → client. A half's bytes arrive by
// multishot receive on socket `side` into pool buffers, queue in arrival order, and leave by one
// send (or sendmsg over several buffers) at a time on the other socket. EOF on a half is passed on
// as shutdown(SHUT_WR) once its queue is empty; when both halves have passed EOF on, the
// connection closes. An error or reset on one side is passed on as a reset of the other
// (SO_LINGER 0 before its close), so a truncated stream never looks complete. The record is
// freed only when no operation of it is left in the kernel (`pending` is 0), so a completion never
// finds its slot reused.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>

#include "base/socket_address.hpp"
#include "engine/uring/buffer_queue.hpp"
#include "routing/types.hpp"

namespace edge::engine {

/// The TCP component's operations (op_tag::op within its family).
enum class tcp_op : std::uint8_t {
    accept = 1,       // accept on a listener (slot = listener index, dir = single-shot)
    accept_retry,     // timer that re-arms accepts after EMFILE/ENFILE
    recv,             // multishot receive into pool buffers
    send,             // send or sendmsg of queued buffers
    connect,          // connect to a backend (linked to connect_timeout)
    connect_timeout,  // the linked timeout of a connect
    proxy_send,       // the PROXY header written to a backend before the client's bytes
    cancel,           // an async cancel we issued (posts only on failure)
    close,            // close of a connection's socket (posts only on failure)
};

enum class conn_state : std::uint8_t { awaiting_header, accepted, connecting, relaying, closing };

/// Buffers one sendmsg may gather; a bundle receive is capped to fill at most this many.
inline constexpr unsigned max_send_iov = 8;
/// Backends one connection may try (--connect-attempts is capped here).
inline constexpr unsigned max_connect_attempts = 8;

/// Per-slot room for an outgoing PROXY header (kept beside the slab, touched only by connections
/// to send-proxy backends): the address the client dialled, as a received header said, and the
/// header bytes while their send is in flight.
struct proxy_out {
    socket_address destination;
    std::uint8_t bytes[112];  // at least proxy_max_formatted_length (checked in connect.cpp)
};

struct relay_half {
    buffer_queue queue;               // bytes received on this half's source, not yet sent on
    std::uint16_t sending = 0;        // buffers (from the head) covered by the send in flight
    std::uint32_t send_since_ms = 0;  // when the send in flight was issued (low 32 bits)
    std::uint64_t bytes_in = 0;       // received on this half so far (who re-arms first)

    bool recv_armed = false;        // a multishot receive is in the kernel
    bool recv_paused = false;       // stopped: the queue reached its allowance (backpressure)
    bool recv_starved = false;      // stopped by ENOBUFS; waiting on the starved list
    bool eof = false;               // the source sent FIN
    bool shut = false;              // FIN passed on: shutdown(SHUT_WR) done on the destination
    bool send_busy = false;         // a send is in the kernel
    bool spill_after_send = false;  // the send in flight was cancelled to move its bytes to spill
    std::uint64_t sent_bytes = 0;   // bytes this half has delivered (access log, /status)

    // Storage for a gathered send; the kernel copies it at submission, but keeping it here
    // keeps the rule simple: valid while the send is in flight.
    msghdr msg{};
    iovec iov[max_send_iov]{};
};

struct conn {
    int fd[2] = {-1, -1};  // 0: client, 1: backend
    conn_state state = conn_state::accepted;
    std::uint8_t attempts = 0;      // backends tried so far
    std::uint8_t send_proxy = 0;    // PROXY version to write to the backend first (0: none)
    bool has_destination = false;   // a received PROXY header named the address the client dialled
    bool abort = false;             // closing after a reset or error: reset the other side too
    std::uint16_t pending = 0;      // operations of this connection still in the kernel
    std::uint32_t last_active = 0;  // worker tick when bytes last moved either way

    // The backend of the current attempt. `shared` is non-null while this connection holds a
    // reservation on it (routing::try_reserve), which is returned exactly once.
    std::uint32_t backend_slot = 0;
    std::uint32_t backend_generation = 0;
    routing::backend_shared* shared = nullptr;
    std::uint32_t tried[max_connect_attempts] = {};
    std::uint64_t connect_start_ns = 0;

    socket_address client;  // the client's address (from the socket, or a PROXY header)
    relay_half half[2];
};

}  // namespace edge::engine
