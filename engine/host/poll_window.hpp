#pragma once
// How long a worker keeps polling its ring after work before it sleeps (--busy-poll).
//
// Sleeping is cheap for the worker but not for the request: on the development VM a sleeping
// vCPU is woken by an IPI and an exit from HLT, tens of microseconds, twice per proxied request
// (docs/BENCHMARKS.md "Latency in the same mode"). Polling removes that wait only if it lasts
// until the next completion, and burns the core meanwhile. A fixed window (--busy-poll 50us)
// catches a backend's quick reply but not the next request; `--busy-poll auto` adapts the window
// to the gaps between completions much as KVM's halt polling does (virt/kvm/kvm_main.c,
// grow_halt_poll_ns/shrink_halt_poll_ns): a gap inside the window was a hit; a gap beyond it but
// within the ceiling would have been a hit with a longer window, so the window doubles; a gap
// beyond the ceiling is idle time no window catches, and a run of them halves the window. (KVM
// halves on each such gap; a proxy's gaps alternate, a backend's quick reply and then a long
// wait for the next request, and halving on every wait would keep the window below the reply.)
// Under steady load the window spans the gaps and the worker never sleeps; as traffic thins it
// shrinks back to the replies, then to nothing.

#include <algorithm>
#include <cstdint>

namespace edge::engine {

class poll_window {
  public:
    /// A window that grows from this when polling would have paid (KVM's halt_poll_ns_grow_start
    /// is 10 µs; ours is the same).
    static constexpr std::uint64_t grow_start_ns = 10'000;
    /// Gaps beyond the ceiling in a row that halve the window.
    static constexpr unsigned shrink_after = 4;

    poll_window() = default;
    /// `ceiling_ns`: the fixed window, or the adaptive window's upper bound (0: never poll).
    poll_window(std::uint64_t ceiling_ns, bool adaptive) noexcept
        : ceiling_ns_(ceiling_ns), adaptive_(adaptive), window_ns_(adaptive ? 0 : ceiling_ns) {}

    /// Poll rather than sleep, `since_work_ns` after the last completion?
    bool poll(std::uint64_t since_work_ns) const noexcept { return since_work_ns < window_ns_; }

    /// The gap between two batches of completions (the worker saw nothing in between).
    void on_gap(std::uint64_t gap_ns) noexcept {
        if (!adaptive_) return;
        if (gap_ns <= ceiling_ns_) {
            idle_run_ = 0;
            if (gap_ns > window_ns_)
                window_ns_ = std::min(ceiling_ns_, std::max(grow_start_ns, window_ns_ * 2));
            return;
        }
        if (++idle_run_ < shrink_after) return;
        idle_run_ = 0;
        window_ns_ /= 2;
        if (window_ns_ < grow_start_ns) window_ns_ = 0;
    }

    std::uint64_t window_ns() const noexcept { return window_ns_; }

  private:
    std::uint64_t ceiling_ns_ = 0;
    bool adaptive_ = false;
    std::uint64_t window_ns_ = 0;
    unsigned idle_run_ = 0;  // gaps beyond the ceiling since the last one within it
};

}  // namespace edge::engine
