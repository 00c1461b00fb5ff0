#pragma once
// The proxy's configuration: command-line flags, with edgeProxy's environment variables honoured
// where a flag has an equivalent (flags win). Parsed once at start-up; read-only afterwards.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/cpu_list.hpp"
#include "base/log.hpp"
#include "base/socket_address.hpp"
#include "engine/host/health_options.hpp"

namespace edge::engine {

using std::chrono::milliseconds;

/// --busy-poll: how long a worker polls its ring after work before it sleeps
/// (engine/host/poll_window.hpp).
struct busy_poll_setting {
    /// `auto`'s ceiling: at 1,000 requests/s or more per worker the window spans the gap
    /// between requests, so the worker never sleeps under load.
    static constexpr std::chrono::microseconds auto_ceiling{1000};

    std::chrono::microseconds window{0};  // the fixed window, or the adaptive window's ceiling
    bool adaptive = false;                // `auto`: the window follows the gaps it sees
    bool operator==(const busy_poll_setting&) const = default;
};

struct config {
    /// The tunnel runs alone: --wg-config without --listen (a backend host, or POP to POP).
    bool tunnel_only() const noexcept {
        return !wg_config.empty() && listen.empty() && listen_proxy.empty();
    }

    std::vector<socket_address> listen;         // --listen (repeatable)
    std::vector<socket_address> listen_proxy;   // --listen-proxy: these expect a PROXY header
    bool proxy_protocol = false;                // --proxy-protocol: every --listen expects one
    milliseconds proxy_header_timeout{3000};    // --proxy-header-timeout
    std::string geoip_path;                     // --geoip: a MaxMind DB file
    std::string wg_config;                      // --wg-config: a wg-quick file (the tunnel)
    std::string wg_interface = "edge-wg0";      // --wg-interface: the TUN interface's name
    milliseconds wg_rekey_after{120 * 1000};    // --wg-rekey-after: WireGuard's Rekey-After-Time
    std::string region_by_continent;            // --region-by-continent AF=eu,AS=ap,...
    std::string db_path = "routing.db";         // --db
    std::string region;                         // --region: this POP's region
    std::vector<int> cpus;                      // --cpus / --cores: one worker each
    std::optional<socket_address> metrics;      // --metrics / --admin (nullopt: off)
    std::string admin_token_file;               // --admin-token-file: bearer token required
    bool admin_insecure = false;                // --admin-insecure: no token off loopback
    std::size_t metrics_max_backends = 1000;    // --metrics-max-backends: per-backend series
    milliseconds connect_timeout{5000};         // --connect-timeout
    unsigned connect_attempts = 3;              // --connect-attempts
    milliseconds idle_timeout{10 * 60 * 1000};  // --idle-timeout
    milliseconds drain_timeout{30 * 1000};      // --drain-timeout
    unsigned backlog = 4096;                    // --backlog
    std::uint32_t max_conns = 65536;            // --max-conns, per worker
    unsigned buffers = 512;                     // --buffers, per worker
    unsigned buffer_size = 32768;               // --buffer-size (BENCHMARKS.md "one stream")
    unsigned max_inflight = 256 * 1024;         // --max-inflight, bytes per direction
    std::uint32_t max_backends = 65536;         // --max-backends (slots)
    busy_poll_setting busy_poll;                // --busy-poll: polling after work, not sleeping
    bool busy_poll_given = false;               // else default_busy_poll() decides
    milliseconds reload_interval{200};          // --reload-interval: routing.db change checks
    milliseconds binding_ttl{600 * 1000};       // --binding-ttl: client affinity (0: off)
    std::uint32_t max_bindings = 1u << 20;      // --max-bindings
    health_options health;                    // --check-*, --eject-*, --slow-start, --health-panic
    log::level log_level = log::level::info;  // --log-level
    std::string access_log;                   // --access-log DEST ("": off)
    bool access_log_json = false;             // --access-log-format json (else text)
    std::size_t access_log_buffer = 4096;     // --access-log-buffer: records per worker
    /// --wait-for-db: how long start-up waits for routing.db to become readable (0: it must be
    /// readable at once; nullopt: forever).
    std::optional<milliseconds> wait_for_db = milliseconds(0);
    bool check = false;  // --check
    // Restarts (engine/control/control_socket.hpp, docs/ARCHITECTURE.md "Listener handover").
    std::string control_path;      // --control: "" = the default under the runtime directory
    bool control_off = false;      // --control off
    std::string takeover_path;     // --takeover: a running instance's control socket
    bool share_listeners = false;  // --share-listeners: start beside a running instance
};

/// A configuration problem; its message names the flag or variable and the bad value.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Reads an environment variable; injectable for tests.
using env_lookup = std::function<std::optional<std::string>(const char*)>;
std::optional<std::string> process_env(const char* name);

/// What parse_config found besides a configuration to run with.
enum class parse_outcome { run, help, version };

/// Parses flags over environment over defaults. Throws config_error. Start-up only.
parse_outcome parse_config(int argc, const char* const* argv, const env_lookup& env, config& out);

/// The --help text.
std::string usage_text();

/// Parses "500ms", "5s", "10m", "1h" or a bare number of seconds.
std::optional<milliseconds> parse_duration(std::string_view s) noexcept;
// parse_cpu_list, allowed_cpus, isolated_cpus: base/cpu_list.hpp.
using edge::allowed_cpus;
using edge::isolated_cpus;
using edge::parse_cpu_list;

/// --busy-poll's default: polling pays off only on a core that no other task wants, since the
/// spinning would take their time (and a shared CPU's latency gets worse, not better). The kernel
/// says which cores those are (`isolated`: isolated_cpus()). When every worker's CPU is
/// isolated: `auto` (docs/BENCHMARKS.md "Latency in the same mode"); otherwise off.
busy_poll_setting default_busy_poll(const std::vector<int>& worker_cpus,
                                    const std::vector<int>& isolated);

}  // namespace edge::engine
