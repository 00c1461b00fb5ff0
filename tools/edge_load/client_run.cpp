#include "tools/edge_load/client_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "tools/edge_load/sys.hpp"

namespace edge::load {

namespace {

client_totals sum(const std::vector<std::unique_ptr<client_stats>>& all, bool hist) {
    client_totals t;
    for (const auto& s : all)
        t.add(*s, hist);
    return t;
}

}  // namespace

int run_client(const options& o, client_mode& m) {
    control c;
    std::vector<std::unique_ptr<client_stats>> stats;
    for (unsigned i = 0; i < o.threads; ++i)
        stats.push_back(std::make_unique<client_stats>());
    std::vector<std::unique_ptr<worker>> workers;

    std::uint64_t last_at = 0;
    std::uint64_t last_completed = 0;
    driver_hooks hooks;
    hooks.progress_line = [&](std::uint64_t now) {
        client_totals t = sum(stats, false);
        if (last_at == 0) last_at = c.start_ns;
        const double dt = double(now - last_at) / 1e9;
        const double rate = dt > 0 ? double(t.completed - last_completed) / dt : 0;
        last_at = now;
        last_completed = t.completed;
        return fmt::format(
            "[{:6.1f}s] {} {} completed {} ({:.0f}/s)  errors {}  sent {} MiB  "
            "received {} MiB",
            double(now - c.start_ns) / 1e9, mode_name(o.run_mode), m.unit, t.completed, rate,
            t.error_total(), t.bytes_sent >> 20, t.bytes_received >> 20);
    };
    if (m.tick) hooks.tick = [&](std::uint64_t now) { m.tick(now, sum(stats, false)); };

    const cpu_times cpu0 = process_cpu();
    const std::uint64_t wall0 = now_ns();
    run_workers(
        o, c, [&](unsigned i) { return m.make(i, c, *stats[i]); }, workers, hooks);
    const cpu_times cpu1 = process_cpu();
    const std::uint64_t wall1 = now_ns();

    report r;
    r.mode = std::string(mode_name(o.run_mode));
    r.unit = m.unit;
    for (const auto& t : o.targets)
        r.targets.push_back(to_string(t));
    r.threads = o.threads;
    std::uint64_t end = c.start_ns;
    for (const auto& s : stats)
        end = std::max(end, s->end_ns.load());
    r.elapsed_s = double(end - c.start_ns) / 1e9;
    r.wall_s = double(wall1 - wall0) / 1e9;
    r.totals = sum(stats, true);
    r.cpu = {cpu1.user_s - cpu0.user_s, cpu1.sys_s - cpu0.sys_s};
    r.settings.emplace_back("threads", std::to_string(o.threads));
    if (!o.cpus.empty()) {
        std::string cpus;
        for (int cpu : o.cpus) {
            if (!cpus.empty()) cpus += ',';
            cpus += std::to_string(cpu);
        }
        r.settings.emplace_back("cpus", cpus);
    }
    if (o.duration_ns)
        r.settings.emplace_back("duration_s", fmt::format("{:g}", double(o.duration_ns) / 1e9));
    if (o.count) r.settings.emplace_back("count", std::to_string(o.count));
    if (c.stop.load()) r.settings.emplace_back("interrupted", "yes");
    std::string extra = m.finish ? m.finish(r, r.totals) : std::string{};
    judge(r, o, extra);
    print_table(r, stdout);
    std::fflush(stdout);
    if (!o.json_path.empty()) write_file_atomically(o.json_path, to_json(r));
    return r.exit_code;
}

}  // namespace edge::load
