#include <catch2/catch.hpp>

#include <thread>

#include "engine/uring/xcore_queue.hpp"

using namespace edge::engine;

TEST_CASE("xcore_queue is bounded and FIFO on one thread") {
    xcore_queue<int> q(4);
    for (int i = 0; i < 4; ++i)
        CHECK(q.push(i));
    CHECK_FALSE(q.push(99));
    for (int i = 0; i < 4; ++i)
        CHECK(q.pop() == i);
    CHECK_FALSE(q.pop().has_value());
}

TEST_CASE("xcore_queue passes every item in order between two threads") {
    xcore_queue<std::uint64_t> q(64);
    constexpr std::uint64_t n = 500000;
    std::thread producer([&] {
        for (std::uint64_t i = 0; i < n; ++i)
            while (!q.push(i))
                std::this_thread::yield();
    });
    std::uint64_t expect = 0;
    bool in_order = true;
    while (expect < n) {
        if (auto v = q.pop()) {
            in_order &= *v == expect;
            ++expect;
        } else {
            std::this_thread::yield();
        }
    }
    producer.join();
    CHECK(in_order);
    CHECK(expect == n);
}
