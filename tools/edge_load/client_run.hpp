#pragma once
// client_run: what rate, rr, bulk and hold share around their workers: one client_stats per
// thread, the progress line, the totals, the report (table on stdout, --json file) and the exit
// status. Each mode supplies its worker and its own figures.

#include <functional>
#include <memory>
#include <string>

#include "tools/edge_load/cli.hpp"
#include "tools/edge_load/driver.hpp"
#include "tools/edge_load/report.hpp"
#include "tools/edge_load/stats.hpp"

namespace edge::load {

struct client_mode {
    std::string unit;  // "connections", "requests", "streams"
    /// Builds worker `index` on its thread; it counts into `stats`.
    std::function<std::unique_ptr<worker>(unsigned index, control& c, client_stats& stats)> make;
    /// Adds the mode's figures, latencies and settings; returns a reason to fail, or "".
    std::function<std::string(report& r, const client_totals& t)> finish;
    /// Optional: main-thread tick (hold uses it to start the hold phase).
    std::function<void(std::uint64_t now, const client_totals& live)> tick;
};

/// Runs a client mode to its end and returns the process exit status. Main thread.
int run_client(const options& o, client_mode& m);

}  // namespace edge::load
