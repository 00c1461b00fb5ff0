#pragma once
// The proxy's start-up, in steps that each return a result: the routing tables, the GeoIP
// database, the connection budget. main() runs them in order (config → io_uring probe → tables →
// listeners → admin endpoint → workers → control); a failed step is a tier-2 error: a clear
// message and a non-zero exit, which is also exactly what --check runs.

#include <cstdint>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "engine/access_log/access_log.hpp"
#include "engine/host/config.hpp"
#include "engine/host/listener_set.hpp"
#include "geo/database_watcher.hpp"
#include "geo/region_map.hpp"
#include "routing/registry.hpp"
#include "routing/table_source.hpp"
#include "routing/types.hpp"

namespace edge::engine {

/// What the workers start with, and the source that keeps it current.
struct start_tables {
    std::unique_ptr<routing::table_source> source;
    routing::snapshot_ptr snap;  // never null
    std::shared_ptr<const geo::region_map> region_map;
    std::size_t rows_rejected = 0;
};

/// Loads routing.db. Missing or unreadable: an error that says why, unless --wait-for-db lets it
/// wait (polling every --reload-interval, before any listener opens) until the file can be
/// read or the wait runs out. Rejected rows are logged; under --check they fail.
result<start_tables, std::string> load_start_tables(const config& cfg,
                                                    routing::backend_registry& registry);

/// Opens --geoip (null without it). Unreadable: an error under --check, else a warning and
/// routing on the POP's region until the file loads.
result<std::unique_ptr<geo::database_watcher>, std::string> open_geoip(const config& cfg);

/// The listen addresses of --listen and --listen-proxy, with their PROXY protocol setting.
std::vector<listen_spec> listen_specs(const config& cfg);

/// Opens --access-log (null without it) with one ring per worker; `listeners` name the listen
/// addresses in its lines. The thread starts with access_log::start().
result<std::unique_ptr<access_log>, std::string> open_access_log(
    const config& cfg, const std::vector<listen_spec>& listeners);

/// The admin endpoint's token from --admin-token-file ("" without it).
result<std::string, std::string> admin_token(const config& cfg);

/// Raises the soft RLIMIT_NOFILE to the hard one and sizes each worker's connection limit from
/// it (two descriptors per proxied connection). Error when too low for even one per worker.
result<std::uint32_t, std::string> connection_limit(const config& cfg);

}  // namespace edge::engine
