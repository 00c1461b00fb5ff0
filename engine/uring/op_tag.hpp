#pragma once
// user_data of every SQE: a packed value, decoded here and nowhere else.
//
//   bits 63..60  family      which component the completion belongs to (the worker dispatches on
//                            it; the ring core gives the numbers no meaning)
//   bits 59..56  op          what the SQE did, in the family's own operation space
//   bit  55      direction   which half of a pair (a connection's client→backend or reverse)
//   bits 54..32  slot        a record in the family's own slot space (connection, listener, peer)
//   bits 31..0   generation  the slot's generation when the SQE was prepared
//
// Each family owns its slot space and decides which of its ops carry a generation to check: a CQE
// whose generation no longer matches its slot belongs to a previous occupant (stale). There is no
// completion object per operation: a multishot SQE yields many CQEs, and per-op objects would
// cost an allocation and an indirect call each.

#include <cstdint>

namespace edge::engine {

struct op_tag {
    std::uint8_t family = 0;  // 0..15
    std::uint8_t op = 0;      // 0..15, the family's own enum
    std::uint8_t dir = 0;     // 0..1
    std::uint32_t slot = 0;
    std::uint32_t gen = 0;

    static constexpr std::uint32_t max_slot = (1u << 23) - 1;
    static constexpr std::uint8_t max_family = 15;
    static constexpr std::uint8_t max_op = 15;

    constexpr std::uint64_t encode() const noexcept {
        return (static_cast<std::uint64_t>(family & max_family) << 60) |
               (static_cast<std::uint64_t>(op & max_op) << 56) |
               (static_cast<std::uint64_t>(dir & 1) << 55) |
               (static_cast<std::uint64_t>(slot & max_slot) << 32) | gen;
    }
    static constexpr op_tag decode(std::uint64_t v) noexcept {
        return op_tag{
            static_cast<std::uint8_t>(v >> 60), static_cast<std::uint8_t>((v >> 56) & max_op),
            static_cast<std::uint8_t>((v >> 55) & 1),
            static_cast<std::uint32_t>((v >> 32) & max_slot), static_cast<std::uint32_t>(v)};
    }
    /// The family of a packed tag, without decoding the rest (the worker's dispatch).
    static constexpr std::uint8_t family_of(std::uint64_t v) noexcept {
        return static_cast<std::uint8_t>(v >> 60);
    }
};

/// Packs a tag for family `Family` whose operations are the enum `Op`.
template <std::uint8_t Family, class Op>
constexpr std::uint64_t make_tag(Op op, std::uint32_t slot, std::uint32_t gen,
                                 std::uint8_t dir = 0) noexcept {
    static_assert(Family <= op_tag::max_family);
    return op_tag{Family, static_cast<std::uint8_t>(op), dir, slot, gen}.encode();
}

}  // namespace edge::engine
