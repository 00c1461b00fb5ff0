// The control thread hands each worker snapshots and binding batches through an xcore_queue, and
// the worker answers through another. Two figures: a push and a pop on one thread (the queue's
// own cost), and a round trip between two threads (what a hand-over costs once the cache line has
// to move to the other core; the wake-up through the ring's eventfd is not included).

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>

#include "engine/uring/xcore_queue.hpp"

namespace {

using edge::engine::xcore_queue;

void BM_xcore_queue_push_pop(benchmark::State& state) {
    xcore_queue<std::uint64_t> q(64);
    std::uint64_t v = 0;
    for (auto _ : state) {
        q.push(v);
        auto got = q.pop();
        benchmark::DoNotOptimize(got);
        ++v;
    }
}
BENCHMARK(BM_xcore_queue_push_pop);

// One item goes over, the other thread sends it back; the time is per round trip.
void BM_xcore_queue_round_trip(benchmark::State& state) {
    xcore_queue<std::uint64_t> there(64);
    xcore_queue<std::uint64_t> back(64);
    std::atomic<bool> stop{false};
    std::thread echo([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            if (auto v = there.pop()) {
                while (!back.push(*v)) {}
            }
        }
    });
    std::uint64_t v = 0;
    for (auto _ : state) {
        while (!there.push(v)) {}
        std::optional<std::uint64_t> got;
        while (!(got = back.pop())) {}
        if (*got != v) state.SkipWithError("the queue returned another item");
        ++v;
    }
    stop.store(true, std::memory_order_relaxed);
    echo.join();
}
// Real time: the waiting is the point. On a machine with one CPU the two threads take turns and
// the figure is a scheduler quantum, not the queue.
BENCHMARK(BM_xcore_queue_round_trip)->UseRealTime();

}  // namespace
