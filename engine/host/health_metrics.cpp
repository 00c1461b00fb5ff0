#include "engine/host/health_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <string_view>

#include "engine/host/health_status.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine {

namespace {

using out_it = std::back_insert_iterator<std::string>;

void header(out_it o, const char* name, const char* type, const char* help) {
    fmt::format_to(o, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

constexpr const char* status_states[] = {"up",       "slow_start", "down",     "ejected",
                                         "draining", "disabled",   "unchecked"};

}  // namespace

void render_health_metrics(std::string& out, const health_board& board,
                           const routing::snapshot* snap, const backend_page& page) {
    auto o = std::back_inserter(out);
    if (!page.only_backends) {
        auto series = [&](const char* name, const char* type, const char* help, auto value) {
            header(o, name, type, help);
            fmt::format_to(o, "{} {}\n", name, value);
        };
        series("edge_health_checks_in_flight", "gauge", "Active health checks in flight now",
               board.in_flight.get());
        series("edge_health_checks_deferred_total", "counter",
               "Checks that waited for a free place (--check-concurrency)", board.deferred.get());
        series("edge_health_backends_out_of_service", "gauge",
               "Selectable backends down or ejected now", board.out_of_service.get());
        series("edge_health_panic", "gauge",
               "1 while no selectable backend is in service (the --health-panic rule applies)",
               board.panic.get());
        series("edge_health_passive_reports_total", "counter",
               "Reports from the workers of backends failing in a row in live traffic",
               board.passive_reports.get());
        series("edge_health_ejections_capped_total", "counter",
               "Ejections not made because --eject-max-percent of the backends were ejected",
               board.ejections_capped.get());
    }
    if (snap == nullptr) return;
    std::span<const routing::backend> all(snap->backends);
    std::size_t first = std::min(page.offset, all.size());
    std::span<const routing::backend> part =
        all.subspan(first, std::min(page.limit, all.size() - first));
    std::vector<backend_health_status> st = describe_health(&board, part, monotonic_coarse_ms());
    std::vector<std::string> ids;
    ids.reserve(st.size());
    for (const backend_health_status& s : st)
        ids.push_back(prometheus_escape(s.id));

    header(o, "edge_backend_in_service", "gauge",
           "1 when new clients may go to the backend: healthy in routing.db, not draining, its "
           "health checks up and not ejected");
    for (std::size_t i = 0; i < st.size(); ++i)
        fmt::format_to(o, "edge_backend_in_service{{backend=\"{}\"}} {}\n", ids[i],
                       st[i].in_service ? 1 : 0);
    header(o, "edge_backend_health_state", "gauge",
           "1 for the health state each backend is in (up, slow_start, down, ejected, draining, "
           "disabled, unchecked), else 0");
    for (std::size_t i = 0; i < st.size(); ++i)
        for (const char* s : status_states)
            fmt::format_to(o, "edge_backend_health_state{{backend=\"{}\",state=\"{}\"}} {}\n",
                           ids[i], s, std::string_view(s) == st[i].state ? 1 : 0);
    header(o, "edge_backend_weight_ratio", "gauge",
           "Share of its weight a backend gets now (below 1 during slow start)");
    for (std::size_t i = 0; i < st.size(); ++i)
        fmt::format_to(o, "edge_backend_weight_ratio{{backend=\"{}\"}} {}\n", ids[i],
                       st[i].weight_percent / 100.0);

    header(o, "edge_backend_health_checks_total", "counter",
           "Active health checks per backend, by result (passed, or why it failed)");
    for (std::size_t i = 0; i < st.size(); ++i) {
        const routing::backend& b = part[i];
        for (std::size_t r = 0; r < check_result_names.size(); ++r)
            fmt::format_to(o,
                           "edge_backend_health_checks_total{{backend=\"{}\",result=\"{}\"}} {}\n",
                           ids[i], check_result_names[r],
                           b.slot < board.capacity() ? board.cell(b.slot).checks[r].get() : 0);
    }
    header(o, "edge_backend_ejections_total", "counter",
           "Passive ejections per backend (failures in a row in live traffic)");
    for (std::size_t i = 0; i < st.size(); ++i)
        fmt::format_to(o, "edge_backend_ejections_total{{backend=\"{}\"}} {}\n", ids[i],
                       st[i].ejections);
    header(o, "edge_backend_health_check_duration_seconds", "histogram",
           "Time an active health check took, whatever its result");
    for (std::size_t i = 0; i < st.size(); ++i) {
        const routing::backend& b = part[i];
        if (b.slot >= board.capacity()) continue;
        const health_cell& c = board.cell(b.slot);
        std::uint64_t cumulative = 0;
        for (std::size_t k = 0; k <= check_duration_bounds_s.size(); ++k) {
            cumulative += c.duration[k].get();
            if (k < check_duration_bounds_s.size())
                fmt::format_to(o,
                               "edge_backend_health_check_duration_seconds_bucket{{backend=\"{}\","
                               "le=\"{}\"}} {}\n",
                               ids[i], check_duration_bounds_s[k], cumulative);
            else
                fmt::format_to(o,
                               "edge_backend_health_check_duration_seconds_bucket{{backend=\"{}\","
                               "le=\"+Inf\"}} {}\n",
                               ids[i], cumulative);
        }
        fmt::format_to(o, "edge_backend_health_check_duration_seconds_sum{{backend=\"{}\"}} {}\n",
                       ids[i], static_cast<double>(c.duration_sum_us.get()) / 1e6);
        fmt::format_to(o, "edge_backend_health_check_duration_seconds_count{{backend=\"{}\"}} {}\n",
                       ids[i], cumulative);
    }
}

}  // namespace edge::engine
