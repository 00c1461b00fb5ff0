// End to end: timeouts, drain on SIGTERM, descriptor exhaustion, the admin endpoint, --check and
// a host where io_uring is blocked.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>

#include <thread>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

TEST_CASE("--idle-timeout closes connections silent both ways, not busy ones") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--idle-timeout", "1s"}});
    unique_fd quiet = connect_tcp(proxy.port());
    unique_fd busy = connect_tcp(proxy.port());
    REQUIRE(quiet);
    REQUIRE(busy);
    // The busy one talks every 300 ms for 2.4 s: it must outlive the quiet one's deadline.
    for (int i = 0; i < 8; ++i) {
        REQUIRE(send_all(busy.get(), "tick"));
        REQUIRE(read_exact(busy.get(), 4) == std::optional<std::string>("tick"));
        std::this_thread::sleep_for(300ms);
    }
    CHECK(wait_closed(quiet.get(), 100ms));
    REQUIRE(send_all(busy.get(), "alive"));
    CHECK(read_exact(busy.get(), 5) == std::optional<std::string>("alive"));
    CHECK(proxy.metric("edge_connections_closed_total{reason=\"idle_timeout\"}") == 1);
}

TEST_CASE("SIGTERM: new connections are refused, a live one finishes, exit 0") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2, {"--drain-timeout", "20s"}});
    unique_fd live = connect_tcp(proxy.port());
    REQUIRE(live);
    REQUIRE(send_all(live.get(), "before"));
    REQUIRE(read_exact(live.get(), 6) == std::optional<std::string>("before"));

    proxy.process().signal(SIGTERM);
    REQUIRE(proxy.process().wait_for_output("draining", 5s));
    int status = 0;
    for (int i = 0; i < 100; ++i) {  // /healthz turns 503 during the drain
        proxy.http_get("/healthz", &status);
        if (status == 503) break;
        std::this_thread::sleep_for(10ms);
    }
    CHECK(status == 503);
    // Listeners are closed once every worker has taken its accept queue: connects are refused.
    bool refused = false;
    for (int i = 0; i < 100 && !refused; ++i) {
        unique_fd late = connect_tcp(proxy.port(), "127.0.0.1", "", 500ms);
        refused = !late;
        if (!refused) std::this_thread::sleep_for(20ms);
    }
    CHECK(refused);
    // The live connection still relays, then finishes; the proxy then exits 0.
    REQUIRE(send_all(live.get(), "during drain"));
    CHECK(read_exact(live.get(), 12) == std::optional<std::string>("during drain"));
    CHECK(proxy.process().running());
    ::shutdown(live.get(), SHUT_WR);
    CHECK(wait_closed(live.get()));
    CHECK(proxy.process().wait_exit(5s) == 0);
    CHECK_THAT(proxy.output(), Catch::Contains("drained"));
}

TEST_CASE("--drain-timeout: connections still open are closed and the proxy exits 0") {
    temp_dir dir;
    test_backend hold(test_backend::mode::hold);
    write_routing_db(dir.file("routing.db"), {{"hold", hold.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--drain-timeout", "1s"}});
    unique_fd stuck = connect_tcp(proxy.port());
    REQUIRE(stuck);
    REQUIRE(send_all(stuck.get(), "x"));
    std::this_thread::sleep_for(100ms);
    auto t0 = std::chrono::steady_clock::now();
    proxy.process().signal(SIGTERM);
    CHECK(wait_closed(stuck.get(), 5s));
    CHECK(proxy.process().wait_exit(5s) == 0);
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took >= 900ms);
    CHECK(took < 4s);
    CHECK_THAT(proxy.output(), Catch::Contains("drain timeout: closing 1 connections"));
}

TEST_CASE("a low RLIMIT_NOFILE is survived: clients past the limit wait, then get served") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    // 64 descriptors: the proxy keeps some for itself and allows two per proxied connection.
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {}, 64});
    auto limit = proxy.metric("edge_connections_limit");
    REQUIRE(limit);
    CHECK(*limit >= 8);
    CHECK(*limit < 32);
    std::vector<unique_fd> clients;
    for (int i = 0; i < 40; ++i) {
        unique_fd fd = connect_tcp(proxy.port(), "127.0.0.1", "", 2s);
        REQUIRE(fd);  // the kernel completes the handshake; the client waits in the backlog
        REQUIRE(send_all(fd.get(), "ping"));
        clients.push_back(std::move(fd));
    }
    std::vector<bool> served(clients.size(), false);
    std::size_t working = 0;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        served[i] = read_exact(clients[i].get(), 4, 500ms) == std::optional<std::string>("ping");
        working += served[i];
    }
    CHECK(working >= *limit);
    CHECK(working < clients.size());
    CHECK(proxy.metric("edge_accept_pauses_total") >= 1);
    CHECK_THAT(proxy.output(), Catch::Contains("connection limit reached"));
    // Closing the served ones frees descriptors; the waiting clients are then accepted and
    // their early bytes relayed, none lost.
    for (std::size_t i = 0; i < clients.size(); ++i)
        if (served[i]) clients[i].reset();
    std::size_t late = 0;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        if (served[i]) continue;
        // Served in turns as earlier waiters finish: close each once it has been answered.
        if (read_exact(clients[i].get(), 4, 10s) == std::optional<std::string>("ping")) ++late;
        clients[i].reset();
    }
    INFO(proxy.output());
    CHECK(late == clients.size() - working);
    CHECK(proxy.process().running());
    CHECK(proxy.metric("edge_connections_rejected_total{reason=\"fd_exhausted\"}") == 0);
}

TEST_CASE("the admin endpoint serves the documented metrics and /healthz") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db")});
    int status = 0;
    CHECK(proxy.http_get("/healthz", &status) == "ok\n");
    CHECK(status == 200);
    proxy.http_get("/nope", &status);
    CHECK(status == 404);
    std::string m = proxy.http_get("/metrics", &status);
    CHECK(status == 200);
    for (const char* name :
         {"edge_connections_total", "edge_connections_current", "edge_backend_latency_ms",
          "edge_bytes_total", "edge_backend_connections_current",
          "edge_backend_connect_failures_total", "edge_connections_rejected_total"})
        CHECK_THAT(m, Catch::Contains(std::string("# TYPE ") + name + " "));
}

TEST_CASE("--version prints the build: version, revision, compiler, liburing, kernel io_uring") {
    auto [code, out] = run_command({edgeproxy_bin(), "--version"});
    INFO(out);
    CHECK(code == 0);
    CHECK_THAT(out, Catch::StartsWith("edgeproxy 0."));
    CHECK_THAT(out, Catch::Contains("\nrevision  "));
    CHECK_THAT(out, Catch::Contains("\ncompiler  "));
    CHECK_THAT(out, Catch::Contains("\nliburing  2."));
    // This kernel runs the test suite, so io_uring works here: its features are listed.
    CHECK_THAT(out, Catch::Contains("io_uring DEFER_TASKRUN "));
}

TEST_CASE("--check: 0 for a good configuration, 1 for a bad database, 2 for a bad flag") {
    temp_dir dir;
    write_routing_db(dir.file("good.db"), {{"a", 8080}});
    write_routing_db(dir.file("rows.db"), {{"a", 8080}, {"b", 99999}});
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), edgeproxy_bin());
        return run_command(args);
    };
    auto [ok, ok_out] = run(
        {"--check", "--db", dir.file("good.db"), "--listen", "127.0.0.1:0", "--metrics", "off"});
    CHECK(ok == 0);
    CHECK_THAT(ok_out, Catch::Contains("configuration ok"));
    auto [missing, missing_out] = run({"--check", "--db", dir.file("nope.db"), "--metrics", "off"});
    CHECK(missing == 1);
    CHECK_THAT(missing_out, Catch::Contains("nope.db"));
    auto [rows, rows_out] = run(
        {"--check", "--db", dir.file("rows.db"), "--listen", "127.0.0.1:0", "--metrics", "off"});
    CHECK(rows == 1);
    CHECK_THAT(rows_out, Catch::Contains("row b rejected"));
    auto [flag, flag_out] = run({"--check", "--connect-timeout", "soon"});
    CHECK(flag == 2);
    CHECK_THAT(flag_out, Catch::Contains("--connect-timeout"));
}

TEST_CASE("io_uring blocked by seccomp: a clear error naming the cause, exit 1") {
    temp_dir dir;
    write_routing_db(dir.file("routing.db"), {{"a", 8080}});
    child_process p({edgeproxy_bin(), "--db", dir.file("routing.db"), "--listen", "127.0.0.1:0",
                     "--metrics", "off"},
                    spawn_options{{}, std::nullopt, dir.file("out.log"), true});
    CHECK(p.wait_exit(5s) == 1);
    CHECK_THAT(p.output(), Catch::Contains("seccomp"));
}
