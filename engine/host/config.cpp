#include "engine/host/config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "base/nearest_word.hpp"
#include "geo/region_map.hpp"
#include "geo/types.hpp"

namespace edge::engine {

namespace {

template <class T>
std::optional<T> parse_uint(std::string_view s) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find(sep, start);
        if (end == std::string_view::npos) end = s.size();
        std::string part(s.substr(start, end - start));
        if (!part.empty()) out.push_back(part);
        start = end + 1;
    }
    return out;
}

socket_address need_address(std::string_view what, std::string_view v) {
    auto a = parse_socket_address(v);
    if (!a)
        throw config_error(
            fmt::format("{}: '{}' is not an address (want IP:PORT or [IPv6]:PORT)", what, v));
    return *a;
}

milliseconds need_duration(std::string_view what, std::string_view v) {
    auto d = parse_duration(v);
    if (!d)
        throw config_error(
            fmt::format("{}: '{}' is not a duration (e.g. 500ms, 5s, 10m)", what, v));
    return *d;
}

milliseconds need_duration_min(std::string_view what, std::string_view v, std::int64_t min_ms) {
    milliseconds d = need_duration(what, v);
    if (d.count() < min_ms) throw config_error(fmt::format("{}: at least {}ms", what, min_ms));
    return d;
}

template <class T>
T need_uint(std::string_view what, std::string_view v, T min, T max) {
    auto n = parse_uint<T>(v);
    if (!n || *n < min || *n > max)
        throw config_error(fmt::format("{}: '{}' is not a number in {}..{}", what, v, min, max));
    return *n;
}

/// --metrics / --admin: the admin endpoint's address, or off.
void set_admin_address(config& c, std::string_view flag, std::string_view v) {
    if (v == "off" || v == "none")
        c.metrics.reset();
    else
        c.metrics = need_address(flag, v);
}

// One table drives parsing, the environment and --help, so they cannot disagree.
struct option_spec {
    const char* flag;
    const char* env;  // nullptr: none
    const char* arg;  // nullptr: a switch
    const char* help;
    void (*apply)(config&, std::string_view value, bool from_flag);  // from_flag: not env
};

const option_spec options[] = {
    {"--listen", "EDGEPROXY_LISTEN_ADDR", "ADDR:PORT",
     "address to accept clients on; repeatable (env: comma-separated). Default 0.0.0.0:8080",
     [](config& c, std::string_view v, bool) {
         for (const std::string& part : split(v, ','))
             c.listen.push_back(need_address("--listen", part));
     }},
    {"--listen-proxy", nullptr, "ADDR:PORT",
     "like --listen, for a front load balancer: each client starts with a PROXY v1/v2 header",
     [](config& c, std::string_view v, bool) {
         for (const std::string& part : split(v, ','))
             c.listen_proxy.push_back(need_address("--listen-proxy", part));
     }},
    {"--proxy-protocol", nullptr, nullptr,
     "every --listen address expects a PROXY v1/v2 header (from a trusted load balancer)",
     [](config& c, std::string_view, bool) { c.proxy_protocol = true; }},
    {"--proxy-header-timeout", nullptr, "DURATION",
     "time a client gets to send its whole PROXY header. Default 3s",
     [](config& c, std::string_view v, bool) {
         c.proxy_header_timeout = need_duration("--proxy-header-timeout", v);
     }},
    {"--wg-config", nullptr, "PATH",
     "a wg-quick file: the proxy's own WireGuard tunnel to backends (needs CAP_NET_ADMIN); "
     "without --listen, edgeproxy runs as a plain WireGuard device",
     [](config& c, std::string_view v, bool) { c.wg_config = std::string(v); }},
    {"--wg-interface", nullptr, "NAME",
     "the tunnel's TUN interface, created at start and gone at exit. Default edge-wg0",
     [](config& c, std::string_view v, bool) {
         if (v.empty() || v.size() > 15)
             throw config_error(
                 fmt::format("--wg-interface: '{}' is not an interface name (1-15 characters)", v));
         c.wg_interface = std::string(v);
     }},
    {"--wg-rekey-after", nullptr, "DURATION",
     "a new WireGuard handshake after a keypair is this old (the whitepaper's Rekey-After-Time; "
     "shorter rotates keys more often). Default 120s",
     [](config& c, std::string_view v, bool) {
         c.wg_rekey_after = need_duration("--wg-rekey-after", v);
         if (c.wg_rekey_after < std::chrono::seconds(1) ||
             c.wg_rekey_after > std::chrono::seconds(120))
             throw config_error("--wg-rekey-after: 1s to 120s (keys are never used past 180s)");
     }},
    {"--geoip", "EDGEPROXY_GEOIP_PATH", "PATH",
     "MaxMind DB (GeoLite2/GeoIP2 Country or City, DB-IP, edgectl geo build) for client locations",
     [](config& c, std::string_view v, bool) { c.geoip_path = std::string(v); }},
    {"--region-by-continent", nullptr, "LIST",
     "regions for countries outside the country map, by continent, e.g. AF=eu,AS=ap,OC=ap",
     [](config& c, std::string_view v, bool) {
         if (auto ok = geo::region_map_builder(false).set_continents(v); !ok)
             throw config_error(
                 fmt::format("--region-by-continent: '{}': {}", v, geo::describe(ok.error())));
         c.region_by_continent = std::string(v);
     }},
    {"--db", "EDGEPROXY_DB_PATH", "PATH", "routing database (SQLite). Default routing.db",
     [](config& c, std::string_view v, bool) { c.db_path = std::string(v); }},
    {"--region", "EDGEPROXY_REGION", "NAME", "this POP's region (tier 2 of the score)",
     [](config& c, std::string_view v, bool) { c.region = std::string(v); }},
    {"--cores", nullptr, "N", "run N workers on the first N allowed CPUs",
     [](config& c, std::string_view v, bool) {
         auto all = allowed_cpus();
         unsigned n = need_uint<unsigned>("--cores", v, 1, 4096);
         if (n > all.size())
             throw config_error(
                 fmt::format("--cores {}: only {} CPUs are available", n, all.size()));
         c.cpus.assign(all.begin(), all.begin() + n);
     }},
    {"--cpus", nullptr, "LIST", "run one worker pinned to each CPU in LIST (e.g. 0-3,6)",
     [](config& c, std::string_view v, bool) {
         auto list = parse_cpu_list(v);
         if (!list || list->empty())
             throw config_error(fmt::format("--cpus: '{}' is not a CPU list", v));
         auto all = allowed_cpus();
         for (int cpu : *list)
             if (!std::binary_search(all.begin(), all.end(), cpu))
                 throw config_error(
                     fmt::format("--cpus: CPU {} is not available to this process", cpu));
         c.cpus = *list;
     }},
    {"--metrics", "EDGEPROXY_METRICS_ADDR", "ADDR:PORT|off",
     "the admin endpoint: Prometheus /metrics, /healthz, /status and the status page at /. "
     "Default 127.0.0.1:9090",
     [](config& c, std::string_view v, bool) { set_admin_address(c, "--metrics", v); }},
    {"--admin", nullptr, "ADDR:PORT|off", "the same as --metrics (the admin endpoint)",
     [](config& c, std::string_view v, bool) { set_admin_address(c, "--admin", v); }},
    {"--admin-token-file", nullptr, "PATH",
     "every admin request must carry 'Authorization: Bearer TOKEN', TOKEN being this file's "
     "first line (browsers: Basic auth with the token as password)",
     [](config& c, std::string_view v, bool) { c.admin_token_file = std::string(v); }},
    {"--admin-insecure", nullptr, nullptr,
     "allow the admin endpoint on a non-loopback address without --admin-token-file",
     [](config& c, std::string_view, bool) { c.admin_insecure = true; }},
    {"--metrics-max-backends", nullptr, "N",
     "per-backend series in /metrics (the rest: /metrics/backends?offset=N). Default 1000",
     [](config& c, std::string_view v, bool) {
         c.metrics_max_backends = need_uint<std::size_t>("--metrics-max-backends", v, 1, 1u << 22);
     }},
    {"--connect-timeout", nullptr, "DURATION", "time allowed for a backend connect. Default 5s",
     [](config& c, std::string_view v, bool) {
         c.connect_timeout = need_duration("--connect-timeout", v);
     }},
    {"--connect-attempts", nullptr, "N",
     "backends tried per client before giving up (1-8). Default 3",
     [](config& c, std::string_view v, bool) {
         c.connect_attempts = need_uint<unsigned>("--connect-attempts", v, 1, 8);
     }},
    {"--idle-timeout", nullptr, "DURATION",
     "close connections silent both ways this long. Default 10m",
     [](config& c, std::string_view v, bool) {
         c.idle_timeout = need_duration("--idle-timeout", v);
     }},
    {"--drain-timeout", nullptr, "DURATION",
     "on SIGTERM/SIGINT, time live connections get to finish. Default 30s",
     [](config& c, std::string_view v, bool) {
         c.drain_timeout = need_duration("--drain-timeout", v);
     }},
    {"--backlog", nullptr, "N", "listen backlog per worker. Default 4096",
     [](config& c, std::string_view v, bool) {
         c.backlog = need_uint<unsigned>("--backlog", v, 1, 1u << 20);
     }},
    {"--max-conns", nullptr, "N", "client connections per worker. Default 65536",
     [](config& c, std::string_view v, bool) {
         c.max_conns = need_uint<std::uint32_t>("--max-conns", v, 1, 1u << 22);
     }},
    {"--buffers", nullptr, "N", "receive buffers per worker, a power of two. Default 512",
     [](config& c, std::string_view v, bool) {
         c.buffers = need_uint<unsigned>("--buffers", v, 16, 32768);
         if ((c.buffers & (c.buffers - 1)) != 0)
             throw config_error("--buffers: must be a power of two");
     }},
    {"--buffer-size", nullptr, "BYTES",
     "size of each receive buffer, a multiple of 64. Default 32768",
     [](config& c, std::string_view v, bool) {
         c.buffer_size = need_uint<unsigned>("--buffer-size", v, 1024, 1u << 20);
         if (c.buffer_size % 64 != 0) throw config_error("--buffer-size: must be a multiple of 64");
     }},
    {"--max-inflight", nullptr, "BYTES",
     "bytes buffered per direction before reading pauses. Default 262144",
     [](config& c, std::string_view v, bool) {
         c.max_inflight = need_uint<unsigned>("--max-inflight", v, 1024, 1u << 28);
     }},
    {"--max-backends", nullptr, "N", "distinct backend ids the proxy can track. Default 65536",
     [](config& c, std::string_view v, bool) {
         c.max_backends = need_uint<std::uint32_t>("--max-backends", v, 1, 1u << 22);
     }},
    {"--reload-interval", "EDGEPROXY_DB_RELOAD_SECS", "DURATION",
     "how often routing.db is checked for changes (env: seconds). Default 200ms",
     [](config& c, std::string_view v, bool) {
         c.reload_interval = need_duration("--reload-interval", v);
         if (c.reload_interval.count() < 10) throw config_error("--reload-interval: at least 10ms");
     }},
    {"--binding-ttl", "EDGEPROXY_BINDING_TTL_SECS", "DURATION",
     "a client keeps its backend this long after its last connection; 0: no affinity (env: "
     "seconds). Default 600s",
     [](config& c, std::string_view v, bool) {
         c.binding_ttl = need_duration("--binding-ttl", v);
     }},
    {"--max-bindings", nullptr, "N",
     "client bindings kept at most (oldest evicted). Default 1048576",
     [](config& c, std::string_view v, bool) {
         c.max_bindings = need_uint<std::uint32_t>("--max-bindings", v, 1, 1u << 28);
     }},
    {"--busy-poll", nullptr, "DURATION|auto",
     "after work, keep polling this long (e.g. 50us) before sleeping: lower latency at the "
     "cost of CPU; auto: a window that grows while polling catches the next completion and "
     "shrinks when idle (up to 1ms). Default auto when every worker's CPU is isolated "
     "(isolcpus=, or an isolated cpuset partition), else 0 (off)",
     [](config& c, std::string_view v, bool) {
         c.busy_poll_given = true;
         if (v == "auto") {
             c.busy_poll = busy_poll_setting{busy_poll_setting::auto_ceiling, true};
         } else if (v.size() > 2 && v.substr(v.size() - 2) == "us") {
             auto n = parse_uint<unsigned>(v.substr(0, v.size() - 2));
             if (!n || *n > 1000000)
                 throw config_error(fmt::format("--busy-poll: '{}' is not a duration", v));
             c.busy_poll = busy_poll_setting{std::chrono::microseconds(*n), false};
         } else {
             c.busy_poll = busy_poll_setting{need_duration("--busy-poll", v), false};
         }
     }},
    // ---- health checks (issue 14; README "Health checks") ----
    {"--check-interval", nullptr, "DURATION",
     "active health check of each backend this often; 0: none (but backends whose "
     "health_checks row sets an interval). Default 2s",
     [](config& c, std::string_view v, bool) {
         c.health.interval = need_duration("--check-interval", v);
         if (c.health.interval.count() != 0 && c.health.interval.count() < 100)
             throw config_error("--check-interval: at least 100ms (or 0: no checks)");
     }},
    {"--check-timeout", nullptr, "DURATION",
     "a check's connect and reply must finish within this (at most the interval). Default 1s",
     [](config& c, std::string_view v, bool) {
         c.health.timeout = need_duration_min("--check-timeout", v, 10);
     }},
    {"--check-rise", nullptr, "N", "passed checks in a row that bring a backend up. Default 2",
     [](config& c, std::string_view v, bool) {
         c.health.rise = need_uint<std::uint32_t>("--check-rise", v, 1, 1000);
     }},
    {"--check-fall", nullptr, "N", "failed checks in a row that take a backend down. Default 3",
     [](config& c, std::string_view v, bool) {
         c.health.fall = need_uint<std::uint32_t>("--check-fall", v, 1, 1000);
     }},
    {"--check-jitter", nullptr, "DURATION",
     "each interval moves by up to +/- half of this at random. Default a tenth of the interval",
     [](config& c, std::string_view v, bool) {
         c.health.jitter = need_duration("--check-jitter", v);
     }},
    {"--check-fast-interval", nullptr, "DURATION",
     "interval while a backend's state is changing (a first failure, a first pass). Default "
     "500ms",
     [](config& c, std::string_view v, bool) {
         c.health.fast_interval = need_duration_min("--check-fast-interval", v, 10);
     }},
    {"--check-down-interval", nullptr, "DURATION", "interval while a backend is down. Default 4s",
     [](config& c, std::string_view v, bool) {
         c.health.down_interval = need_duration_min("--check-down-interval", v, 10);
     }},
    {"--check-concurrency", nullptr, "N", "health checks in flight at once. Default 256",
     [](config& c, std::string_view v, bool) {
         c.health.concurrency = need_uint<std::uint32_t>("--check-concurrency", v, 1, 65536);
     }},
    {"--eject-after", nullptr, "N",
     "eject a backend after N failures in a row in live traffic (connects refused, "
     "unreachable, timed out; resets); 0: no passive ejection. Default 5",
     [](config& c, std::string_view v, bool) {
         c.health.eject_after = need_uint<std::uint32_t>("--eject-after", v, 0, 1000000);
     }},
    {"--eject-time", nullptr, "DURATION",
     "the first ejection's length; the n-th in a row lasts n times this. Default 30s",
     [](config& c, std::string_view v, bool) {
         c.health.eject_time = need_duration_min("--eject-time", v, 10);
     }},
    {"--eject-max-time", nullptr, "DURATION", "the longest ejection. Default 300s",
     [](config& c, std::string_view v, bool) {
         c.health.eject_max_time = need_duration("--eject-max-time", v);
     }},
    {"--eject-max-percent", nullptr, "P",
     "at most P% of the selectable backends ejected at once (always at least one). Default 50",
     [](config& c, std::string_view v, bool) {
         c.health.eject_max_percent = need_uint<std::uint32_t>("--eject-max-percent", v, 0, 100);
     }},
    {"--slow-start", nullptr, "DURATION",
     "a backend back in service ramps from 1% to its full weight over this; 0: at once. "
     "Default 10s",
     [](config& c, std::string_view v, bool) {
         c.health.slow_start = need_duration("--slow-start", v);
     }},
    {"--health-panic", nullptr, "open|closed",
     "when no backend is in service: send clients to all of them as if unchecked (open), or "
     "refuse them (closed). Default open",
     [](config& c, std::string_view v, bool) {
         if (v == "open")
             c.health.panic = routing::panic_rule::fail_open;
         else if (v == "closed")
             c.health.panic = routing::panic_rule::fail_closed;
         else
             throw config_error(fmt::format("--health-panic: '{}' is not open or closed", v));
     }},
    {"--log-level", nullptr, "LEVEL",
     "debug, info, warn, error or off (env DEBUG=1: debug). Default info",
     [](config& c, std::string_view v, bool) {
         auto l = log::parse_level(v);
         if (!l)
             throw config_error(
                 fmt::format("--log-level: '{}' is not one of debug, info, warn, error, off", v));
         c.log_level = *l;
     }},
    {"--access-log", nullptr, "DEST",
     "one line per finished connection to a file (reopened on SIGUSR1), stderr, or syslog "
     "(/dev/log; syslog:PATH for another socket). Default: off",
     [](config& c, std::string_view v, bool) {
         if (v.empty()) throw config_error("--access-log: empty destination");
         c.access_log = v == "off" ? std::string() : std::string(v);
     }},
    {"--access-log-format", nullptr, "text|json",
     "access log lines as logfmt key=value text or one JSON object each. Default text",
     [](config& c, std::string_view v, bool) {
         if (v != "text" && v != "json")
             throw config_error(
                 fmt::format("--access-log-format: '{}' is not one of text, json", v));
         c.access_log_json = v == "json";
     }},
    {"--access-log-buffer", nullptr, "N",
     "access log records each worker holds while the log thread is behind (more are dropped "
     "and counted). Default 4096",
     [](config& c, std::string_view v, bool) {
         c.access_log_buffer = need_uint<std::size_t>("--access-log-buffer", v, 16, 1u << 24);
     }},
    {"--wait-for-db", nullptr, "DURATION|forever",
     "at start, wait this long for routing.db to become readable (a POP fed by edgectl sync) "
     "before listening. Default 0: a missing or unreadable routing.db is a start-up error",
     [](config& c, std::string_view v, bool) {
         if (v == "forever")
             c.wait_for_db.reset();
         else
             c.wait_for_db = need_duration("--wait-for-db", v);
     }},
    {"--control", nullptr, "PATH|off",
     "Unix control socket for edgectl restart and --takeover (mode 0600). Default: "
     "$RUNTIME_DIRECTORY/control.sock, else /run/edgeproxy/control.sock, else a directory of "
     "this user's",
     [](config& c, std::string_view v, bool) {
         c.control_off = v == "off" || v == "none";
         c.control_path = c.control_off ? std::string() : std::string(v);
         if (!c.control_off && v.empty()) throw config_error("--control: empty path");
     }},
    {"--takeover", nullptr, "PATH",
     "take the listening sockets (and client affinity) over from the edgeproxy whose control "
     "socket is PATH, once this one has loaded and checked everything; that one then drains "
     "and exits",
     [](config& c, std::string_view v, bool) {
         if (v.empty()) throw config_error("--takeover: empty path");
         c.takeover_path = std::string(v);
     }},
    {"--share-listeners", nullptr, nullptr,
     "start even though another process listens on a --listen or --metrics address, sharing "
     "it (SO_REUSEPORT): a rolling restart from a version without --takeover",
     [](config& c, std::string_view, bool) { c.share_listeners = true; }},
    {"--check", nullptr, nullptr,
     "validate the configuration, the database and io_uring, then exit",
     [](config& c, std::string_view, bool) { c.check = true; }},
};

}  // namespace

std::optional<std::string> process_env(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

std::optional<milliseconds> parse_duration(std::string_view s) noexcept {
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9')
        ++digits;
    if (digits == 0) return std::nullopt;
    auto n = parse_uint<std::uint64_t>(s.substr(0, digits));
    if (!n || *n > (1ull << 40)) return std::nullopt;
    std::string_view unit = s.substr(digits);
    if (unit == "ms") return milliseconds(*n);
    if (unit.empty() || unit == "s") return milliseconds(*n * 1000);
    if (unit == "m") return milliseconds(*n * 60 * 1000);
    if (unit == "h") return milliseconds(*n * 3600 * 1000);
    return std::nullopt;
}

busy_poll_setting default_busy_poll(const std::vector<int>& worker_cpus,
                                    const std::vector<int>& isolated) {
    if (worker_cpus.empty()) return {};
    for (int cpu : worker_cpus)
        if (!std::binary_search(isolated.begin(), isolated.end(), cpu)) return {};
    return busy_poll_setting{busy_poll_setting::auto_ceiling, true};
}

std::string usage_text() {
    std::string s =
        "usage: edgeproxy [options]\n\n"
        "A geo-aware L4 (TCP) edge proxy: one io_uring worker per pinned core, backends from\n"
        "routing.db.\n\noptions:\n";
    for (const option_spec& o : options) {
        std::string left = o.arg ? fmt::format("{} {}", o.flag, o.arg) : std::string(o.flag);
        s += fmt::format("  {:<34} {}", left, o.help);
        if (o.env) s += fmt::format(" [env {}]", o.env);
        s += '\n';
    }
    s += fmt::format("  {:<34} {}\n  {:<34} {}\n", "--help", "this text", "--version",
                     "print the version");
    return s;
}

parse_outcome parse_config(int argc, const char* const* argv, const env_lookup& env, config& out) {
    out = config{};
    out.metrics = parse_socket_address("127.0.0.1:9090");
    // Environment first, so that flags override it.
    for (const option_spec& o : options) {
        if (o.env == nullptr) continue;
        if (auto v = env(o.env)) o.apply(out, *v, false);
    }
    if (auto d = env("DEBUG"); d && !d->empty() && *d != "0") out.log_level = log::level::debug;

    bool listen_from_flags = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--help" || a == "-h") return parse_outcome::help;
        if (a == "--version" || a == "-V") return parse_outcome::version;
        std::string_view name = a, value;
        bool has_inline = false;
        if (auto eq = a.find('='); eq != std::string_view::npos && a.starts_with("--")) {
            name = a.substr(0, eq);
            value = a.substr(eq + 1);
            has_inline = true;
        }
        const option_spec* spec = nullptr;
        for (const option_spec& o : options)
            if (name == o.flag) spec = &o;
        if (spec == nullptr) {
            std::vector<std::string_view> names = {"--help", "--version"};
            for (const option_spec& o : options)
                names.push_back(o.flag);
            throw config_error(
                fmt::format("unknown option '{}'{} (see --help)", a, did_you_mean(name, names)));
        }
        if (spec->arg != nullptr && !has_inline) {
            if (i + 1 >= argc)
                throw config_error(fmt::format("{} needs a value ({})", name, spec->arg));
            value = argv[++i];
        } else if (spec->arg == nullptr && has_inline) {
            throw config_error(fmt::format("{} takes no value", name));
        }
        if (spec->flag == std::string_view("--listen") && !listen_from_flags) {
            out.listen.clear();  // flags replace EDGEPROXY_LISTEN_ADDR rather than add to it
            listen_from_flags = true;
        }
        spec->apply(out, value, true);
    }
    // A tunnel with no --listen is a WireGuard device alone (no TCP proxy).
    if (out.listen.empty() && out.listen_proxy.empty() && out.wg_config.empty())
        out.listen.push_back(*parse_socket_address("0.0.0.0:8080"));
    if (out.cpus.empty()) out.cpus = allowed_cpus();
    if (!out.busy_poll_given) out.busy_poll = default_busy_poll(out.cpus, isolated_cpus());
    // A takeover adopts the old instance's control socket unless told otherwise.
    if (!out.takeover_path.empty() && out.control_path.empty() && !out.control_off)
        out.control_path = out.takeover_path;
    if (!out.region.empty() && !geo::region_code::parse(out.region))
        throw config_error(
            fmt::format("--region: '{}' is not a region name (1-{} characters, no spaces)",
                        out.region, geo::region_code::max_length));
    if (out.metrics && !out.metrics->is_loopback() && out.admin_token_file.empty() &&
        !out.admin_insecure)
        throw config_error(fmt::format(
            "--metrics {}: the admin endpoint (metrics, /status, the status page) would be open "
            "to anyone who can reach that address; give --admin-token-file PATH, or "
            "--admin-insecure if a firewall already guards it",
            to_string(*out.metrics)));
    return parse_outcome::run;
}

}  // namespace edge::engine
