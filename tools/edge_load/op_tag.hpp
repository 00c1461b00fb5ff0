#pragma once
// op_tag: the user_data of every SQE, packed as op (8 bits) | generation (24) | slot (32). A
// completion whose generation differs from its slot's current one belongs to a connection that
// is gone (the slot was reused) and is dropped.

#include <cstdint>

namespace edge::load {

enum class op : std::uint8_t { none, socket, connect, send, recv, close, cancel, accept };

/// Packs an op, a slot index and the slot's generation into user_data.
constexpr std::uint64_t make_tag(op o, std::uint32_t slot, std::uint32_t gen) noexcept {
    return std::uint64_t(o) << 56 | std::uint64_t(gen & 0xFFFFFFu) << 32 | slot;
}
constexpr op tag_op(std::uint64_t t) noexcept {
    return op(t >> 56);
}
constexpr std::uint32_t tag_gen(std::uint64_t t) noexcept {
    return std::uint32_t(t >> 32) & 0xFFFFFFu;
}
constexpr std::uint32_t tag_slot(std::uint64_t t) noexcept {
    return std::uint32_t(t);
}
/// True when a completion's tag names the slot's current generation.
constexpr bool is_current(std::uint64_t t, std::uint32_t gen) noexcept {
    return tag_gen(t) == (gen & 0xFFFFFFu);
}

}  // namespace edge::load
