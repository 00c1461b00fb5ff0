// The fault suite (issue 11): the real binary against bad files, exhausted limits, signals and
// hostile peers. Each case checks what an operator would notice: no crash, the last good state
// still serving, a log line and a counter.
//
// Covered elsewhere, not repeated here: a corrupt routing.db at run time (e2e_routing), a
// RLIMIT_NOFILE of 64 then a burst (e2e_lifecycle: "a low RLIMIT_NOFILE is survived"), a client
// vanishing with RST mid-transfer (e2e_abort), clients that send and never read (e2e_starvation).

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include "tests/support/log_lines.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"
#include "tests/tools/edge_load_run.hpp"

using namespace edge;
using namespace edge::test;

namespace {

bool echoes(std::uint16_t port, const std::string& msg = "ping") {
    unique_fd c = connect_tcp(port, "127.0.0.1", "", 2s);
    return c && send_all(c.get(), msg, 2s) && read_exact(c.get(), msg.size(), 2s) == msg;
}

// Resident memory of a process, from /proc.
std::size_t rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    return 0;
}

// Replaces `path` atomically with `content` (as a deploy tool would).
void swap_in(const std::string& path, const std::string& content) {
    {
        std::ofstream f(path + ".new", std::ios::binary);
        f << content;
    }
    std::filesystem::rename(path + ".new", path);
}

}  // namespace

TEST_CASE("fault: routing.db locked by a long write transaction") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    const std::string db = dir.file("routing.db");
    write_routing_db(db, {{"echo", echo.port()}});
    proxy_process proxy(dir, {db, 1, {"--reload-interval", "100ms"}});
    REQUIRE(echoes(proxy.port()));

    sqlite3* writer = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &writer) == SQLITE_OK);
    // A long write: with a small cache its pages reach the file before it commits, so the
    // proxy sees a change and finds the database locked.
    REQUIRE(sqlite3_exec(writer,
                         "PRAGMA cache_size=1; BEGIN EXCLUSIVE; CREATE TABLE filler(x);"
                         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
                         "i < 3000) INSERT INTO filler SELECT printf('%0100d', i) FROM n",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    for (int i = 0; i < 50 && !proxy.metric("edge_routing_reloads_total{result=\"locked\"}"); ++i)
        std::this_thread::sleep_for(100ms);
    std::this_thread::sleep_for(2s);  // a long transaction: several checks meet the lock
    CHECK(proxy.metric("edge_routing_reloads_total{result=\"locked\"}").value_or(0) >= 1);
    CHECK_THAT(proxy.output(), Catch::Contains("keeping the table in force"));
    for (int i = 0; i < 3; ++i)
        CHECK(echoes(proxy.port()));
    const std::string commit =
        "DELETE FROM backends; INSERT INTO backends (id, app, region, wg_ip, port, healthy, "
        "weight, soft_limit, hard_limit, deleted) VALUES ('two', 'app', 'eu', '127.0.0.1', " +
        std::to_string(echo.port()) + ", 1, 1, 100, 0, 0); COMMIT";
    CHECK(sqlite3_exec(writer, commit.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(writer);
    CHECK(proxy.process().wait_for_output("readable again", 5s));
    CHECK(echoes(proxy.port()));
}

TEST_CASE("fault: a routing.db of the wrong schema swapped in at run time") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    const std::string db = dir.file("routing.db");
    write_routing_db(db, {{"echo", echo.port()}});
    proxy_process proxy(dir, {db, 1, {"--reload-interval", "100ms"}});
    exec_sql(dir.file("other.db"),
             "CREATE TABLE backends (name TEXT, url TEXT);"
             "INSERT INTO backends VALUES ('x', 'http://x');");
    std::filesystem::rename(dir.file("other.db"), db);
    CHECK(proxy.process().wait_for_output("keeping the table in force", 5s));
    CHECK(proxy.metric("edge_routing_reloads_total{result=\"wrong_schema\"}").value_or(0) >= 1);
    for (int i = 0; i < 3; ++i)
        CHECK(echoes(proxy.port()));  // the last good table
    CHECK(proxy.process().running());
}

TEST_CASE("fault: the GeoIP database replaced by garbage at run time") {
    temp_dir dir;
    build_geo_db(dir, "127.0.0.0/8,DE\n");
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port(), "eu", "DE"}});
    proxy_process proxy(dir, {dir.file("routing.db"),
                              1,
                              {"--geoip", dir.file("geo.mmdb"), "--reload-interval", "100ms"}});
    REQUIRE(echoes(proxy.port()));
    swap_in(dir.file("geo.mmdb"), random_bytes(50000, 3));
    CHECK(proxy.process().wait_for_output("keeping the database in force", 5s));
    CHECK(proxy.metric("edge_geoip_reloads_total{result=\"failed\"}").value_or(0) >= 1);
    CHECK(proxy.metric("edge_geoip_loaded") == 1);
    for (int i = 0; i < 3; ++i)
        CHECK(echoes(proxy.port()));
    double located = proxy.metric("edge_geoip_lookups_total{source=\"database\"}").value_or(0) +
                     proxy.metric("edge_geoip_lookups_total{source=\"cache\"}").value_or(0);
    CHECK(located >= 4);  // still locating clients with the last good database
}

TEST_CASE("fault: --max-conns reached; the clients past it wait and are all served") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--max-conns", "4"}});
    std::vector<unique_fd> burst;
    for (int i = 0; i < 30; ++i) {
        burst.push_back(connect_tcp(proxy.port()));
        REQUIRE(burst.back());
        REQUIRE(send_all(burst.back().get(), "hello"));
    }
    std::size_t served = 0;
    for (auto& c : burst) {
        // Served in turns: each closes once answered, letting the next in.
        if (read_exact(c.get(), 5, 10s) == std::optional<std::string>("hello")) ++served;
        c.reset();
    }
    CHECK(served == burst.size());
    CHECK(proxy.metric("edge_accept_pauses_total").value_or(0) >= 1);
    CHECK_THAT(proxy.output(), Catch::Contains("connection limit reached"));
    CHECK(proxy.metric("edge_connections_rejected_total{reason=\"overload\"}") == 0);
}

TEST_CASE("fault: a tiny --buffers pool under many bulk streams makes progress, byte-exact") {
    temp_dir dir;
    serve_backend echo(dir, "echo", {});
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--buffers", "16"}});
    load_result r = run_load(dir, {"bulk", "127.0.0.1:" + std::to_string(proxy.port()), "--streams",
                                   "32", "--bytes", "4M", "--direction", "both", "--timeout", "20s",
                                   "--duration", "50s", "--no-progress"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.num("completed") == 32);
    CHECK(r.num("errors.total") == 0);
    // The pool did run dry (else the case proves nothing), and recovered.
    CHECK(proxy.metric("edge_buffer_exhausted_total").value_or(0) +
              proxy.metric("edge_buffer_spills_total").value_or(0) >
          0);
    CHECK(echoes(proxy.port()));
}

TEST_CASE("fault: pool and spill both run dry under clients that never read: one is evicted") {
    // The last resort of buffer pressure (engine/tcp/buffer_pressure.cpp): when the worker's pool
    // is nearly empty and the spill area is full too, the connection holding the most pool
    // buffers is reset, counted and logged, and everyone else carries on. The spill area is four
    // times the pool (it has no flag of its own): 32 buffers of 1 KiB give 32 KiB of pool and
    // 128 KiB of spill, where each of these clients would queue up to --max-inflight (256 KiB)
    // per direction. A pool this small once stalled a fresh client: a starved receive waited for
    // 16 free buffers while eviction acts below 4 (engine/tcp/buffer_pressure.cpp, rearm_share).
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    const std::string log = dir.file("access.log");
    proxy_process proxy(dir, {dir.file("routing.db"),
                              1,
                              {"--buffers", "32", "--buffer-size", "1024", "--idle-timeout", "10m",
                               "--access-log", log}});
    const std::string evictions = "edge_connections_closed_total{reason=\"evicted\"}";
    REQUIRE(echoes(proxy.port()));
    REQUIRE(proxy.metric(evictions) == 0);

    std::vector<unique_fd> attackers;
    for (int i = 0; i < 100; ++i) {
        attackers.push_back(connect_non_reader(proxy.port()));
        REQUIRE(attackers.back());
    }
    // Each pushes bytes (never reading the echo) until an eviction is counted, at most 30 s. An
    // evicted client notices: its connection is reset, and its next send fails.
    const std::string chunk(16384, 'x');
    std::size_t reset_seen = 0;
    double evicted = 0, most_spill = 0;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    auto next_scrape = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
        for (auto& a : attackers) {
            if (!a) continue;
            if (::send(a.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0 &&
                (errno == ECONNRESET || errno == EPIPE)) {
                ++reset_seen;
                a.reset();
            }
        }
        if (std::chrono::steady_clock::now() >= next_scrape) {
            evicted = proxy.metric(evictions).value_or(0);
            most_spill = std::max(most_spill, proxy.metric("edge_spill_buffers").value_or(0));
            if (evicted >= 1 && reset_seen >= 1) break;
            next_scrape = std::chrono::steady_clock::now() + 100ms;
        }
        std::this_thread::sleep_for(5ms);
    }
    INFO(proxy.output());
    CHECK(evicted >= 1);
    CHECK(reset_seen >= 1);
    CHECK(most_spill >= 96);  // the spill area (128) had run (nearly) full first
    CHECK_THAT(proxy.output(), Catch::Contains("buffer pool and spill exhausted: closing client"));

    // The rest still hold what they hold; an ordinary client is answered all the same, and again
    // once they have gone.
    for (int i = 0; i < 3; ++i)
        CHECK(echoes(proxy.port()));
    attackers.clear();
    for (int i = 0; i < 3; ++i)
        CHECK(echoes(proxy.port()));
    CHECK(proxy.process().running());

    // The access log names the eviction: reason evicted, termination state RD (a resource ran
    // out, while relaying data).
    std::map<std::string, std::string> line;
    for (auto until = std::chrono::steady_clock::now() + 5s;
         line.empty() && std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(50ms)) {
        for (const std::string& l : wait_for_lines(log, 1, 0ms)) {
            auto f = parse_logfmt(l);
            if (f["reason"] == "evicted") {
                line = f;
                break;
            }
        }
    }
    REQUIRE_FALSE(line.empty());
    CHECK(line["term"] == "RD");
    CHECK(line["backend"] == "echo");
    CHECK(std::stoull(line["bytes_up"]) > 0);
}

TEST_CASE("fault: SIGTERM twice stops at once; SIGHUP storms and SIGPIPE change nothing") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2, {"--drain-timeout", "60s"}});

    // A storm of SIGHUPs and SIGPIPEs while clients come and go.
    auto storm = std::async(std::launch::async, [&] {
        for (int i = 0; i < 300; ++i) {
            proxy.process().signal(i % 2 ? SIGHUP : SIGPIPE);
            std::this_thread::sleep_for(2ms);
        }
    });
    int answered = 0;
    for (int i = 0; i < 100; ++i)
        answered += echoes(proxy.port());
    storm.get();
    CHECK(answered == 100);
    CHECK(proxy.process().running());
    CHECK_THAT(proxy.output(), Catch::Contains("SIGHUP: checking routing.db"));

    // A connection that stays open: the first SIGTERM waits for it (up to 60 s), the second
    // stops now.
    unique_fd live = connect_tcp(proxy.port());
    REQUIRE(send_all(live.get(), "x"));
    REQUIRE(read_exact(live.get(), 1) == std::optional<std::string>("x"));
    proxy.process().signal(SIGTERM);
    REQUIRE(proxy.process().wait_for_output("draining", 2s));
    CHECK(proxy.metric("edge_draining") == 1);
    auto t0 = std::chrono::steady_clock::now();
    proxy.process().signal(SIGTERM);
    CHECK(proxy.process().wait_exit(5s).has_value());
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK_THAT(proxy.output(), Catch::Contains("again: stopping now"));
    CHECK(wait_closed(live.get(), 2s));
}

TEST_CASE("fault: a backend that never reads while the client sends 100 MiB: memory bounded") {
    temp_dir dir;
    // A listener that never accepts: the handshake completes in the kernel, nobody reads.
    unique_fd never(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    REQUIRE(::bind(never.get(), reinterpret_cast<sockaddr*>(&a), len) == 0);
    REQUIRE(::listen(never.get(), 16) == 0);
    ::getsockname(never.get(), reinterpret_cast<sockaddr*>(&a), &len);
    write_routing_db(dir.file("routing.db"), {{"never", ntohs(a.sin_port)}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1});
    const pid_t pid = proxy.process().pid();
    const std::size_t before = rss_kib(pid);

    unique_fd c = connect_tcp(proxy.port());
    REQUIRE(c);
    const std::string chunk(1 << 20, 'z');
    std::size_t sent = 0;
    // Sends until 100 MiB went or the proxy stopped taking bytes for 3 s (backpressure).
    while (sent < (100u << 20) && send_all(c.get(), chunk, 3s))
        sent += chunk.size();
    const std::size_t after = rss_kib(pid);
    std::printf("never-reading backend: client sent %zu KiB; proxy RSS %zu -> %zu KiB\n",
                sent / 1024, before, after);
    CHECK(sent < (100u << 20));  // the proxy did not swallow it all
    CHECK(after < before + 32 * 1024);
    CHECK(proxy.metric("edge_backpressure_pauses_total").value_or(0) >= 1);
    CHECK(echoes(proxy.port()) == false);  // (the only backend never answers)
    CHECK(proxy.process().running());
}

TEST_CASE("fault: 9,000 idle connections, then a burst of new ones: all served") {
    // 10,000 would need 20,000 descriptors in the proxy (two per connection) plus its own, and
    // the hard RLIMIT_NOFILE here is 20,000: the proxy holds what its limit allows.
    temp_dir dir;
    serve_backend echo(dir, "echo", {});
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2});
    const std::string target = "127.0.0.1:" + std::to_string(proxy.port());
    child_process hold({edge_load_bin(), "hold", target, "--connections", "9000", "--hold", "40s",
                        "--concurrency", "256", "--send", "16", "--recv", "16", "--no-progress"},
                       spawn_options{{}, std::nullopt, dir.file("hold.log")});
    for (int i = 0; i < 600; ++i) {
        if (proxy.metric("edge_connections_current").value_or(0) >= 9000) break;
        std::this_thread::sleep_for(100ms);
    }
    REQUIRE(proxy.metric("edge_connections_current").value_or(0) >= 9000);
    std::size_t rss = rss_kib(proxy.process().pid());
    std::printf("proxy RSS with 9,000 idle connections: %zu KiB\n", rss);
    load_result burst =
        run_load(dir, {"rate", target, "--count", "3000", "--concurrency", "128", "--source",
                       "127.2.0.0/16", "--timeout", "10s", "--no-progress"});
    INFO(burst.output);
    CHECK(burst.exit_code == 0);
    CHECK(burst.num("completed") == 3000);
    CHECK(proxy.metric("edge_connections_current").value_or(0) >= 9000);  // the idle ones live
    hold.signal(SIGTERM);
    hold.wait_exit(10s);
    CHECK(proxy.process().running());
}
