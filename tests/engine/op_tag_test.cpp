#include <catch2/catch.hpp>

#include "engine/op_tag.hpp"

using namespace edge::engine;

TEST_CASE("op tags round-trip every field at its limits") {
    for (op kind : {op::accept, op::recv, op::send, op::connect, op::connect_timeout, op::close}) {
        for (std::uint8_t dir : {0, 1}) {
            for (std::uint32_t slot : {0u, 1u, 12345u, op_tag::max_slot}) {
                for (std::uint32_t gen : {0u, 1u, 0x80000001u, 0xffffffffu}) {
                    op_tag t = op_tag::decode(make_tag(kind, slot, gen, dir));
                    CHECK(t.kind == kind);
                    CHECK(t.dir == dir);
                    CHECK(t.slot == slot);
                    CHECK(t.gen == gen);
                }
            }
        }
    }
}

TEST_CASE("op tags of different generations of one slot differ") {
    CHECK(make_tag(op::recv, 7, 1) != make_tag(op::recv, 7, 3));
    CHECK(make_tag(op::recv, 7, 1, 0) != make_tag(op::recv, 7, 1, 1));
}
