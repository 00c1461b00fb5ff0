// The access log's per-worker ring: records come out in order, a full ring drops and counts
// instead of waiting, and records cross threads whole.

#include <catch2/catch.hpp>

#include <thread>

#include "engine/host/record_ring.hpp"

using namespace edge::engine;

TEST_CASE("records come out in the order they were published") {
    auto ring = record_ring::create(8);
    REQUIRE(ring);
    for (std::uint64_t i = 1; i <= 5; ++i) {
        access_record* r = ring->claim();
        REQUIRE(r != nullptr);
        r->bytes_up = i;
        ring->publish();
    }
    std::vector<std::uint64_t> seen;
    CHECK(ring->consume(3, [&](const access_record& r) { seen.push_back(r.bytes_up); }) == 3);
    CHECK(ring->consume(100, [&](const access_record& r) { seen.push_back(r.bytes_up); }) == 2);
    CHECK(seen == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
    CHECK(ring->dropped() == 0);
}

TEST_CASE("a full ring drops and counts, and takes records again once read") {
    auto ring = record_ring::create(4);
    REQUIRE(ring);
    CHECK(ring->capacity() == 4);
    for (int i = 0; i < 4; ++i) {
        REQUIRE(ring->claim() != nullptr);
        ring->publish();
    }
    CHECK(ring->claim() == nullptr);
    CHECK(ring->claim() == nullptr);
    CHECK(ring->dropped() == 2);
    CHECK(ring->consume(1, [](const access_record&) {}) == 1);
    CHECK(ring->claim() != nullptr);
}

TEST_CASE("a writer thread and a reader thread: every record whole, in order, or counted") {
    auto ring = record_ring::create(64);
    REQUIRE(ring);
    constexpr std::uint64_t n = 200000;
    std::thread producer([&] {
        for (std::uint64_t i = 0; i < n; ++i) {
            access_record* r = ring->claim();
            if (r == nullptr) continue;
            r->bytes_up = i;
            r->bytes_down = ~i;
            ring->publish();
        }
    });
    std::uint64_t got = 0, last = 0;
    bool ordered = true, whole = true;
    auto take = [&](const access_record& r) {
        ordered &= got == 0 || r.bytes_up > last;
        whole &= r.bytes_down == ~r.bytes_up;
        last = r.bytes_up;
        ++got;
    };
    while (got + ring->dropped() < n)
        ring->consume(16, take);
    producer.join();
    ring->consume(64, take);
    CHECK(ordered);
    CHECK(whole);
    CHECK(got + ring->dropped() == n);
}
