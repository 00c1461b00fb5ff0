#include <catch2/catch.hpp>

#include "engine/uring/op_tag.hpp"

using namespace edge::engine;

TEST_CASE("op tags round-trip every field at its limits") {
    for (std::uint8_t family : {0, 1, 7, 15}) {
        for (std::uint8_t op : {0, 1, 9, 15}) {
            for (std::uint8_t dir : {0, 1}) {
                for (std::uint32_t slot : {0u, 1u, 12345u, op_tag::max_slot}) {
                    for (std::uint32_t gen : {0u, 1u, 0x80000001u, 0xffffffffu}) {
                        std::uint64_t v = op_tag{family, op, dir, slot, gen}.encode();
                        op_tag t = op_tag::decode(v);
                        CHECK(t.family == family);
                        CHECK(op_tag::family_of(v) == family);
                        CHECK(t.op == op);
                        CHECK(t.dir == dir);
                        CHECK(t.slot == slot);
                        CHECK(t.gen == gen);
                    }
                }
            }
        }
    }
}

TEST_CASE("op tags of different families, generations and directions differ") {
    enum class some_op : std::uint8_t { recv = 3 };
    CHECK(make_tag<1>(some_op::recv, 7, 1) != make_tag<1>(some_op::recv, 7, 3));
    CHECK(make_tag<1>(some_op::recv, 7, 1, 0) != make_tag<1>(some_op::recv, 7, 1, 1));
    CHECK(make_tag<1>(some_op::recv, 7, 1) != make_tag<2>(some_op::recv, 7, 1));
}
