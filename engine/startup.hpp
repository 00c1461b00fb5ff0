#pragma once
// The proxy's start-up, in steps that each return a result: the routing tables, the GeoIP
// database, the connection budget. main() runs them in order (config → io_uring probe → tables →
// [takeover] → listeners → admin endpoint → control socket → workers → control); a failed step
// is a tier-2 error: a clear message and a non-zero exit, which is also exactly what --check
// runs.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "engine/access_log/access_log.hpp"
#include "engine/control/admin_server.hpp"
#include "engine/control/control_socket.hpp"
#include "engine/control/takeover.hpp"
#include "engine/host/config.hpp"
#include "engine/host/health_board.hpp"
#include "engine/host/listener_set.hpp"
#include "engine/host/passive_reports.hpp"
#include "geo/database_watcher.hpp"
#include "geo/region_map.hpp"
#include "routing/health_view.hpp"
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

/// Opens --geoip (null without it). Unreadable: an error under --check and --takeover, else a
/// warning and routing on the POP's region until the file loads.
result<std::unique_ptr<geo::database_watcher>, std::string> open_geoip(const config& cfg);

/// The listen addresses of --listen and --listen-proxy, with their PROXY protocol setting.
std::vector<listen_spec> listen_specs(const config& cfg);

/// The admin endpoint of --metrics (nullopt with --metrics off): the listener `inherited` from
/// the instance being taken over when it is on the same address (port 0: the same host), else
/// a new one, refused when another process listens there (unless --share-listeners).
result<std::optional<admin_server>, std::string> open_admin(const config& cfg,
                                                            inheritance* inherited);

/// The control socket of --control (nullopt with --control off or --check): the one `inherited`
/// for the same path, else a new one. When the default path is held by another running
/// instance this one runs without (a warning); an explicit --control that is held is an error.
result<std::optional<control_socket>, std::string> open_control(const config& cfg,
                                                                inheritance* inherited);

/// Opens --access-log (null without it) with one ring per worker; `listeners` name the listen
/// addresses in its lines. The thread starts with access_log::start().
result<std::unique_ptr<access_log>, std::string> open_access_log(
    const config& cfg, const std::vector<listen_spec>& listeners);

/// The admin endpoint's token from --admin-token-file ("" without it).
result<std::string, std::string> admin_token(const config& cfg);

/// Raises the soft RLIMIT_NOFILE to the hard one and sizes each worker's connection limit from
/// it (two descriptors per proxied connection). Error when too low for even one per worker.
result<std::uint32_t, std::string> connection_limit(const config& cfg);

/// What the health checker shares with the workers (the view selection reads, the passive
/// failure counts) and with the control thread (the board). All null when --check-interval 0
/// and --eject-after 0 leave nothing to do; `passive` null when --eject-after is 0.
struct health_parts {
    std::unique_ptr<routing::health_view> view;
    std::unique_ptr<passive_reports> passive;
    std::unique_ptr<health_board> board;
};

/// Sizes the health parts for --max-backends slots. Start-up.
result<health_parts, std::string> make_health_parts(const config& cfg);

/// Checks the health checker may have in flight: --check-concurrency, but at most a sixteenth of
/// RLIMIT_NOFILE (at least one), so that a low descriptor limit still leaves the connections
/// their budget; 0 when checks are off. After connection_limit() has raised the limit. Start-up.
std::uint32_t health_check_sockets(const config& cfg) noexcept;

}  // namespace edge::engine
