#include "routing/table_source.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace edge::routing {

using severity = report_line::severity;

std::shared_ptr<const geo::region_map> build_region_map(const snapshot& snap,
                                                        const std::string& by_continent,
                                                        std::vector<std::string>& warnings) {
    geo::region_map_builder b(true);
    for (const country_region& cr : snap.country_regions)
        if (auto ok = b.set_country(cr.first.str(), cr.second.str()); !ok)
            warnings.push_back(fmt::format("country_regions: {} -> {}: {}", cr.first.str(),
                                           cr.second.str(), geo::describe(ok.error())));
    if (!by_continent.empty())
        if (auto ok = b.set_continents(by_continent); !ok)
            warnings.push_back(fmt::format("--region-by-continent: {}", geo::describe(ok.error())));
    return std::make_shared<const geo::region_map>(b.build());
}

table_source::table_source(load_options opts, std::string region_by_continent,
                           backend_registry& registry)
    : opts_(std::move(opts)),
      by_continent_(std::move(region_by_continent)),
      registry_(registry),
      watcher_(opts_.db_path) {}

reload_report table_source::load_now() {
    // The watcher samples the file before the load, so that a change made during the load is
    // picked up by the next check.
    watcher_.poll();
    return load(true);
}

reload_report table_source::reload_if_changed() {
    if (!watcher_.poll()) return {};
    return load(false);
}

reload_report table_source::load(bool initial) {
    reload_report out;
    auto r = load_snapshot(opts_, registry_);
    if (!r) {
        out.status = reload_report::outcome::failed;
        out.error = r.error();
        if (auto line = watcher_.on_load_failed(r.error()))
            out.lines.push_back({severity::error, fmt::format("routing.db: {}", *line)});
        return out;
    }
    if (watcher_.on_load_succeeded() && !initial)
        out.lines.push_back({severity::info, "routing.db readable again"});
    out.status = reload_report::outcome::reloaded;
    out.rows_rejected = r->rejected.size();
    report_rejected(r->rejected, out);
    for (const std::string& w : r->warnings)
        out.lines.push_back({severity::warn, fmt::format("routing.db: {}", w)});
    // The country -> region overrides live in routing.db: rebuild the map, and hand it on only
    // if its content changed (workers' lookup caches key on it).
    std::vector<std::string> warnings;
    auto map = build_region_map(*r->snap, by_continent_, warnings);
    for (const std::string& w : warnings)
        out.lines.push_back({severity::warn, fmt::format("routing.db: {}", w)});
    if (!map_ || map->fingerprint() != map_->fingerprint()) {
        map_ = map;
        out.region_map = std::move(map);
    }
    if (!initial)
        out.lines.push_back(
            {severity::info,
             fmt::format("routing.db reloaded: v{}, {} backends, {} rows rejected",
                         r->snap->version, r->snap->backends.size(), r->rejected.size())});
    out.snap = std::move(r->snap);
    return out;
}

void table_source::report_rejected(const std::vector<rejected_row>& rows, reload_report& out) {
    std::vector<std::string> now;
    now.reserve(rows.size());
    for (const rejected_row& r : rows)
        now.push_back(r.id + ": " + r.reason);
    if (now == last_rejected_) return;  // the same rows as last time: said already
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (std::find(last_rejected_.begin(), last_rejected_.end(), now[i]) == last_rejected_.end())
            out.lines.push_back({severity::warn, fmt::format("routing.db: row {} rejected: {}",
                                                             rows[i].id, rows[i].reason)});
    last_rejected_ = std::move(now);
}

}  // namespace edge::routing
