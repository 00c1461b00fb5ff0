#pragma once
// user_data of every SQE: a packed value, decoded here and nowhere else.
//
//   bits 63..56  op          what the SQE did (accept, recv, send, …)
//   bit  55      direction   which half of a connection (0: client→backend, 1: backend→client)
//   bits 54..32  slot        connection slot in the worker's slab, or listener index
//   bits 31..0   generation  the slot's generation when the SQE was prepared
//
// A CQE whose generation no longer matches its slot belongs to a previous occupant: it is stale.
// There is no completion object per operation: a multishot SQE yields many CQEs, and per-op
// objects would cost an allocation and an indirect call each.

#include <cstdint>

namespace edge::engine {

enum class op : std::uint8_t {
    none = 0,
    accept,           // multishot accept on a listener (slot = listener index)
    recv,             // multishot receive into provided buffers
    send,             // send or sendmsg of queued buffers
    connect,          // connect to a backend (linked to connect_timeout)
    connect_timeout,  // the linked timeout of a connect
    cancel,           // an async cancel we issued
    close,            // close of a connection's socket (direction = which socket)
    wake,             // read of the worker's eventfd (cross-core messages)
    accept_retry,     // timer that re-arms accepts after EMFILE/ENFILE
    proxy_send,       // the PROXY header written to a backend before the client's bytes
    header_timeout,   // not used by a CQE: reserved
    count_,
};

struct op_tag {
    op kind = op::none;
    std::uint8_t dir = 0;
    std::uint32_t slot = 0;
    std::uint32_t gen = 0;

    static constexpr std::uint32_t max_slot = (1u << 23) - 1;

    constexpr std::uint64_t encode() const noexcept {
        return (static_cast<std::uint64_t>(kind) << 56) |
               (static_cast<std::uint64_t>(dir & 1) << 55) |
               (static_cast<std::uint64_t>(slot & max_slot) << 32) | gen;
    }
    static constexpr op_tag decode(std::uint64_t v) noexcept {
        return op_tag{static_cast<op>(v >> 56), static_cast<std::uint8_t>((v >> 55) & 1),
                      static_cast<std::uint32_t>((v >> 32) & max_slot),
                      static_cast<std::uint32_t>(v)};
    }
};

constexpr std::uint64_t make_tag(op kind, std::uint32_t slot, std::uint32_t gen,
                                 std::uint8_t dir = 0) noexcept {
    return op_tag{kind, dir, slot, gen}.encode();
}

}  // namespace edge::engine
