#pragma once
// driver: runs one worker per thread (pinned with --cpus), starts them together, and keeps the
// main thread for signals (SIGINT/SIGTERM stop the run, SIGUSR1 goes to the mode), the progress
// line and mode ticks. Rings are created on the worker threads: SINGLE_ISSUER binds a ring to the
// thread that creates it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tools/edge_load/cli.hpp"

namespace edge::load {

/// Shared by the main thread and the workers.
struct control {
    std::atomic<bool> stop{
        false};  // sanctioned sharing: set by main on a signal, polled by workers
    std::atomic<std::uint64_t> hold_until{0};  // hold: set by main once every worker is set up
    std::uint64_t start_ns = 0;                // written by main before the workers are released
    std::uint64_t deadline_ns = UINT64_MAX;    // start + --duration, or never
};

class worker {
  public:
    virtual ~worker() = default;
    /// The worker's loop, on its own thread; returns when its work is done, the deadline has
    /// passed, or control.stop was set.
    virtual void run() = 0;
};

struct driver_hooks {
    /// Main thread, about every 100 ms while workers run.
    std::function<void(std::uint64_t now)> tick;
    /// Main thread, once a second when progress is shown: the line without a newline.
    std::function<std::string(std::uint64_t now)> progress_line;
    /// Main thread, for SIGUSR1.
    std::function<void()> on_usr1;
};

/// Builds workers with make(i) on thread i (pinned first), releases them together, waits for all
/// to return. Throws std::runtime_error when a worker could not be built (its message).
void run_workers(const options& o, control& c,
                 const std::function<std::unique_ptr<worker>(unsigned)>& make,
                 std::vector<std::unique_ptr<worker>>& workers, const driver_hooks& hooks);

/// True when the progress line should be shown for these options.
bool progress_enabled(const options& o) noexcept;

}  // namespace edge::load
