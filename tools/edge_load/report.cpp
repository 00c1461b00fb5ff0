#include "tools/edge_load/report.hpp"

#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace edge::load {

namespace {

constexpr std::pair<const char*, double> quantiles[] = {
    {"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p99.9", 0.999}};

double us(std::uint64_t ns) {
    return double(ns) / 1e3;
}

std::string human_bytes(double b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        ++u;
    }
    return fmt::format("{:.2f} {}", b, units[u]);
}

}  // namespace

void judge(report& r, const options& o, const std::string& extra_failure) {
    const auto& t = r.totals;
    const std::uint64_t errors = t.error_total();
    const std::uint64_t wrong = t.errors[unsigned(error_kind::wrong_bytes)];
    r.ok = true;
    r.verdict = "ok";
    if (wrong > 0) {
        r.ok = false;
        r.verdict = fmt::format("FAILED: {} {} with wrong bytes", wrong, r.unit);
    } else if (o.max_error_fraction >= 0 && t.attempted > 0 &&
               double(errors) > o.max_error_fraction * double(t.attempted)) {
        r.ok = false;
        r.verdict = fmt::format("FAILED: {} errors, above {:.3g}% of {} {}", errors,
                                o.max_error_fraction * 100, t.attempted, r.unit);
    } else if (o.max_error_fraction < 0 && errors > o.max_errors) {
        r.ok = false;
        r.verdict = fmt::format("FAILED: {} errors (--max-errors {})", errors, o.max_errors);
    } else if (!extra_failure.empty()) {
        r.ok = false;
        r.verdict = "FAILED: " + extra_failure;
    } else if (t.attempted == 0) {
        r.ok = false;
        r.verdict = "FAILED: nothing was attempted";
    }
    r.exit_code = r.ok ? 0 : 1;
}

void print_table(const report& r, std::FILE* to) {
    const auto& t = r.totals;
    std::string targets;
    for (const auto& s : r.targets) {
        if (!targets.empty()) targets += ',';
        targets += s;
    }
    fmt::print(to, "edge-load {}  target {}  threads {}  elapsed {:.2f} s\n", r.mode, targets,
               r.threads, r.elapsed_s);
    if (!r.settings.empty()) {
        std::string line;
        for (const auto& [k, v] : r.settings)
            line += fmt::format("  {} {}", k, v);
        fmt::print(to, "settings    {}\n", line.substr(2));
    }
    fmt::print(to, "{:<11} attempted {}  completed {}  failed {}  rate {:.1f}/s\n", r.unit,
               t.attempted, t.completed, t.failed, r.per_second());
    fmt::print(to, "bytes       sent {}  received {}\n", human_bytes(double(t.bytes_sent)),
               human_bytes(double(t.bytes_received)));
    std::string errs;
    for (unsigned k = 0; k < error_kinds; ++k)
        errs += fmt::format("  {} {}", error_name(error_kind(k)), t.errors[k]);
    fmt::print(to, "errors     {}", errs);
    if (t.first_other_errno)
        fmt::print(to, "  (first other: {})", std::strerror(t.first_other_errno));
    fmt::print(to, "\n");
    for (const auto& [k, v] : r.figures)
        fmt::print(to, "{:<11} {:.6g}\n", k, v);
    bool header = false;
    for (const auto& [name, h] : r.latencies) {
        if (h->count() == 0) continue;
        if (!header) {
            fmt::print(to, "latency us   {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "p50",
                       "p90", "p99", "p99.9", "max", "mean", "count");
            header = true;
        }
        fmt::print(to, "  {:<10} ", name);
        for (const auto& q : quantiles)
            fmt::print(to, " {:>10.1f}", us(h->percentile(q.second)));
        fmt::print(to, " {:>10.1f} {:>10.1f} {:>10}\n", us(h->max()), h->mean() / 1e3, h->count());
    }
    const double cpu = r.cpu.user_s + r.cpu.sys_s;
    fmt::print(to,
               "cpu         user {:.2f} s  sys {:.2f} s  per {} {:.2f} us  ({:.0f}% of one core)\n",
               r.cpu.user_s, r.cpu.sys_s, r.unit.substr(0, r.unit.size() - 1),
               t.completed ? cpu * 1e6 / double(t.completed) : 0.0,
               r.wall_s > 0 ? cpu * 100 / r.wall_s : 0.0);
    fmt::print(to, "result      {}\n", r.verdict);
}

std::string to_json(const report& r) {
    const auto& t = r.totals;
    // Keys in the order docs/EDGE_LOAD.md lists them: a person reads these files too.
    nlohmann::ordered_json j = {{"tool", "edge-load"},  {"version", EDGE_VERSION},
                                {"mode", r.mode},       {"unit", r.unit},
                                {"targets", r.targets}, {"threads", r.threads}};
    auto& settings = j["settings"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : r.settings)
        settings[k] = v;
    j["elapsed_s"] = r.elapsed_s;
    j["wall_s"] = r.wall_s;
    j["attempted"] = t.attempted;
    j["completed"] = t.completed;
    j["failed"] = t.failed;
    j["per_second"] = r.per_second();
    j["bytes"] = {{"sent", t.bytes_sent}, {"received", t.bytes_received}};
    auto& errors = j["errors"] = {{"total", t.error_total()}};
    for (unsigned k = 0; k < error_kinds; ++k)
        errors[std::string(error_name(error_kind(k)))] = t.errors[k];
    if (t.first_other_errno) errors["first_other"] = std::strerror(t.first_other_errno);
    auto& latency = j["latency_us"] = nlohmann::ordered_json::object();
    for (const auto& [name, h] : r.latencies)
        latency[name] = {{"count", h->count()},
                         {"min", us(h->min())},
                         {"mean", h->mean() / 1e3},
                         {"p50", us(h->percentile(0.5))},
                         {"p90", us(h->percentile(0.9))},
                         {"p99", us(h->percentile(0.99))},
                         {"p999", us(h->percentile(0.999))},
                         {"max", us(h->max())}};
    auto& figures = j["figures"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : r.figures)
        figures[k] = v;
    const double cpu = r.cpu.user_s + r.cpu.sys_s;
    j["cpu"] = {{"user_s", r.cpu.user_s},
                {"sys_s", r.cpu.sys_s},
                {"per_unit_us", t.completed ? cpu * 1e6 / double(t.completed) : 0.0},
                {"core_share", r.wall_s > 0 ? cpu / r.wall_s : 0.0}};
    j["ok"] = r.ok;
    j["verdict"] = r.verdict;
    j["exit_code"] = r.exit_code;
    return j.dump() + "\n";
}

}  // namespace edge::load
