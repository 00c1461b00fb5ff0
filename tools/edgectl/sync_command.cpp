// edgectl sync --etcd ENDPOINTS --db PATH [--prefix P] [--status ADDR] …: the long-running process
// that keeps one POP's routing.db equal to etcd's rows (tools/feed/sync_loop.hpp). It runs beside
// the proxy, never inside it: the file stays the only contract between the two.

#include <fmt/format.h>

#include <csignal>
#include <optional>

#include "base/log.hpp"
#include "tools/edgectl/commands.hpp"
#include "tools/edgectl/routing_store.hpp"
#include "tools/feed/feed_layout.hpp"
#include "tools/feed/status_server.hpp"
#include "tools/feed/sync_loop.hpp"

namespace edge::edgectl {

namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int) {
    stop_requested = true;
}

std::chrono::milliseconds duration_flag(const flag_set& f, const char* name,
                                        std::chrono::milliseconds fallback) {
    const std::string* v = f.value(name);
    return v ? std::chrono::milliseconds(parse_duration_ms(*v, name)) : fallback;
}

}  // namespace

int run_sync_command(const args& a) {
    std::set<std::string> values = {"db",        "status",         "max-age",  "debounce",
                                    "max-delay", "probe-interval", "log-level"};
    values.insert(store_value_flags.begin(), store_value_flags.end());
    flag_set f;
    try {
        f = parse_flags(a, 0, values, {"allow-empty", "once", "help"});
        if (f.switches.count("help")) {
            fmt::print("usage:\n{}\n", sync_usage());
            return 0;
        }
        if (!f.positional.empty())
            throw usage_error(fmt::format("unexpected argument '{}'", f.positional[0]));
        if (!f.value("etcd") || !f.value("db")) throw usage_error("sync needs --etcd and --db");
    } catch (const usage_error& e) {
        fmt::print(stderr, "edgectl sync: {}\n(usage: edgectl sync --help)\n", e.what());
        return 2;
    }
    try {
        feed::sync_options o;
        o.etcd = etcd_options_from(f);
        o.db_path = *f.value("db");
        o.prefix = f.value("prefix") ? *f.value("prefix") : feed::default_prefix;
        if (o.prefix.empty() || o.prefix.back() != '/')
            throw usage_error("--prefix must end in '/' (e.g. /edgeproxy/v1/)");
        o.debounce = duration_flag(f, "debounce", o.debounce);
        o.max_delay = duration_flag(f, "max-delay", o.max_delay);
        o.probe_interval = duration_flag(f, "probe-interval", o.probe_interval);
        o.max_age = std::chrono::duration_cast<std::chrono::seconds>(
            duration_flag(f, "max-age", std::chrono::seconds(60)));
        o.allow_empty = f.switches.count("allow-empty") != 0;
        o.once = f.switches.count("once") != 0;
        if (const std::string* l = f.value("log-level")) {
            auto level = log::parse_level(*l);
            if (!level) throw usage_error(fmt::format("--log-level '{}' is not a level", *l));
            log::set_level(*level);
        }
        log::set_thread_name("sync");

        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, nullptr);
        sigaction(SIGINT, &sa, nullptr);
        std::signal(SIGPIPE, SIG_IGN);

        feed::sync_status status(o.max_age);
        std::optional<feed::status_server> server;
        if (const std::string* addr = f.value("status")) {
            server.emplace(*addr, status);
            log::info("sync: status on port {} (/healthz, /metrics)", server->port());
        }
        log::info("sync: {} from etcd {} under {}", o.db_path, *f.value("etcd"), o.prefix);
        int rc = feed::run_sync(o, status, stop_requested);
        log::info("sync: stopped");
        return rc;
    } catch (const usage_error& e) {
        fmt::print(stderr, "edgectl sync: {}\n(usage: edgectl sync --help)\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "edgectl sync: {}\n", e.what());
        return 1;
    }
}

const char* sync_usage() {
    return R"(  sync --etcd URLS --db PATH [--prefix /edgeproxy/v1/] [--status ADDR:PORT]
       [--max-age 60s] [--debounce 20ms] [--max-delay 200ms] [--probe-interval 1s]
       [--user NAME --password-file FILE] [--cacert FILE] [--cert FILE --key FILE]
       [--allow-empty] [--once] [--log-level info]
                                 keep routing.db equal to etcd's rows under the prefix: a
                                 snapshot written atomically, then the watch stream applied in
                                 debounced batches; resumes from the revision stored in the
                                 file; never empties it when etcd is unreachable or wrong.
                                 --status serves /healthz (503 when staler than --max-age)
                                 and /metrics; --once exits when the file matches etcd)";
}

}  // namespace edge::edgectl
