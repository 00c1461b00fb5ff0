#pragma once
// report: the end of a client run. One `report` value holds every figure; print_table() writes
// the human table to stdout, to_json() the same figures for scripts (schema in docs/EDGE_LOAD.md),
// and judge() decides the exit status from the error threshold and the byte checks.

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tools/edge_load/cli.hpp"
#include "tools/edge_load/stats.hpp"
#include "tools/edge_load/sys.hpp"

namespace edge::load {

struct report {
    std::string mode;
    std::string unit;  // what `attempted` counts: connections, requests, streams
    std::vector<std::string> targets;
    unsigned threads = 1;
    double elapsed_s = 0;  // the measured phase
    double wall_s = 0;     // the whole run, set-up included (what `cpu` covers)
    client_totals totals;
    std::vector<std::pair<std::string, const histogram*>> latencies;  // shown in this order
    std::vector<std::pair<std::string, double>> figures;              // mode-specific results
    std::vector<std::pair<std::string, std::string>> settings;        // the run's parameters
    cpu_times cpu;
    bool ok = true;
    std::string verdict = "ok";
    int exit_code = 0;

    double per_second() const noexcept {
        return elapsed_s > 0 ? double(totals.completed) / elapsed_s : 0;
    }
};

/// Sets ok, verdict and exit_code: wrong bytes always fail; errors fail above --max-errors.
/// `extra_failure`, when not empty, is a mode's own reason to fail (hold: connections lost).
void judge(report& r, const options& o, const std::string& extra_failure = {});
/// Writes the table; main thread.
void print_table(const report& r, std::FILE* to);
/// The JSON text of the report.
std::string to_json(const report& r);

}  // namespace edge::load
