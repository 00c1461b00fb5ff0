#pragma once
// The checker's timetable: a min-heap of timed events (a backend's next check, a check's
// deadline, an ejection's end), earliest first. Events are never removed early: each carries the
// sequence number its subject had when it was queued, and one that no longer matches is passed
// over when it comes up (a backend rescheduled, removed, or a check already finished). With
// millisecond times it gives the next wake-up exactly, which the worker's 100 ms tick wheel would
// not, so checks can be spread over their interval instead of bunching at ticks. Single thread.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace edge::engine::health {

enum class event_kind : std::uint8_t {
    check,     // id: backend slot; seq: its schedule sequence
    deadline,  // id: probe slot; seq: the probe's generation
    ejection,  // id: backend slot; seq: its schedule sequence
};

struct timed_event {
    std::uint64_t at_ms = 0;
    std::uint32_t id = 0;
    std::uint32_t seq = 0;
    event_kind kind = event_kind::check;
};

/// Single thread (the checker's); no allocation once reserved for the table's size.
class event_queue {
  public:
    /// Room for `n` events without allocating.
    void reserve(std::size_t n) { heap_.reserve(n); }
    /// Queues `e`.
    void push(const timed_event& e) {
        heap_.push_back(e);
        std::push_heap(heap_.begin(), heap_.end(), later);
    }
    /// Nothing queued.
    bool empty() const noexcept { return heap_.empty(); }
    /// Events queued, void ones included.
    std::size_t size() const noexcept { return heap_.size(); }
    /// The earliest event. Not empty.
    const timed_event& top() const noexcept { return heap_.front(); }
    /// Removes and returns the earliest event. Not empty.
    timed_event pop() noexcept {
        std::pop_heap(heap_.begin(), heap_.end(), later);
        timed_event e = heap_.back();
        heap_.pop_back();
        return e;
    }
    /// Drops every event.
    void clear() noexcept { heap_.clear(); }

  private:
    static bool later(const timed_event& a, const timed_event& b) noexcept {
        return a.at_ms > b.at_ms;
    }
    std::vector<timed_event> heap_;
};

}  // namespace edge::engine::health
