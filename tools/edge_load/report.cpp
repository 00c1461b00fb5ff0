#include "tools/edge_load/report.hpp"

#include <fmt/format.h>

#include <cstring>

#include "tools/edge_load/json.hpp"

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
    json_writer j;
    j.field("tool", "edge-load").field("version", EDGE_VERSION).field("mode", r.mode);
    j.field("unit", r.unit).field("targets", r.targets).field("threads", r.threads);
    j.begin("settings");
    for (const auto& [k, v] : r.settings)
        j.field(k, std::string_view(v));
    j.end();
    j.field("elapsed_s", r.elapsed_s).field("wall_s", r.wall_s);
    j.field("attempted", t.attempted).field("completed", t.completed).field("failed", t.failed);
    j.field("per_second", r.per_second());
    j.begin("bytes").field("sent", t.bytes_sent).field("received", t.bytes_received).end();
    j.begin("errors").field("total", t.error_total());
    for (unsigned k = 0; k < error_kinds; ++k)
        j.field(error_name(error_kind(k)), t.errors[k]);
    if (t.first_other_errno) j.field("first_other", std::strerror(t.first_other_errno));
    j.end();
    j.begin("latency_us");
    for (const auto& [name, h] : r.latencies) {
        j.begin(name).field("count", h->count());
        j.field("min", us(h->min())).field("mean", h->mean() / 1e3);
        j.field("p50", us(h->percentile(0.5))).field("p90", us(h->percentile(0.9)));
        j.field("p99", us(h->percentile(0.99))).field("p999", us(h->percentile(0.999)));
        j.field("max", us(h->max())).end();
    }
    j.end();
    j.begin("figures");
    for (const auto& [k, v] : r.figures)
        j.field(k, v);
    j.end();
    const double cpu = r.cpu.user_s + r.cpu.sys_s;
    j.begin("cpu").field("user_s", r.cpu.user_s).field("sys_s", r.cpu.sys_s);
    j.field("per_unit_us", t.completed ? cpu * 1e6 / double(t.completed) : 0.0);
    j.field("core_share", r.wall_s > 0 ? cpu / r.wall_s : 0.0).end();
    j.field("ok", r.ok).field("verdict", r.verdict).field("exit_code", r.exit_code);
    return j.finish();
}

}  // namespace edge::load
