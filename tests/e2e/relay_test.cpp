// End to end: the real edgeproxy binary between test clients and test backends on loopback.
// Bytes, half-close in each direction, a resetting backend, spreading over workers.

#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <atomic>
#include <future>
#include <random>
#include <thread>

#include "tests/support/echo_load.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

TEST_CASE("1,000 connections with random payloads up to 1 MiB come back byte for byte") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2});

    constexpr int total = 1000;
    echo_load_result r = echo_load(proxy.port(), total, 16, 1234);
    std::uint64_t bytes = r.bytes;
    INFO(proxy.output());
    CHECK(r.bad == 0);
    CHECK(r.ok == total);
    CHECK(proxy.metric("edge_connections_total") == total);
    CHECK(proxy.metric("edge_bytes_total{direction=\"client_to_backend\"}") == double(bytes));
    CHECK(proxy.metric("edge_bytes_total{direction=\"backend_to_client\"}") == double(bytes));
    CHECK(proxy.metric("edge_connections_closed_total{reason=\"done\"}") == total);
    CHECK(proxy.metric("edge_stale_completions_total") == 0);
    // Every buffer went back to the pool.
    CHECK(proxy.metric("edge_buffers_held{worker=\"0\"}") == 0);
    CHECK(proxy.metric("edge_buffers_held{worker=\"1\"}") == 0);
}

TEST_CASE("client half-close: the backend sees EOF and its answer still reaches the client") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db")});
    unique_fd fd = connect_tcp(proxy.port());
    REQUIRE(fd);
    REQUIRE(send_all(fd.get(), "request"));
    ::shutdown(fd.get(), SHUT_WR);  // the echo backend answers fully only after it sees EOF
    auto got = read_to_eof(fd.get());
    REQUIRE(got);
    CHECK(*got == "request");
}

TEST_CASE("backend half-close: the client sees EOF and can keep sending to the backend") {
    temp_dir dir;
    test_backend fin(test_backend::mode::fin_first, "first");
    write_routing_db(dir.file("routing.db"), {{"fin", fin.port()}});
    // No active health checks: the backend records every connection, and a check's (reset by
    // the checker) would be among them.
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--check-interval", "0"}});
    unique_fd fd = connect_tcp(proxy.port());
    REQUIRE(fd);
    // The backend sends its banner and FIN at once.
    auto got = read_to_eof(fd.get());
    REQUIRE(got);
    CHECK(*got == "first\n");
    // The client->backend direction still flows after the backend's FIN.
    std::string tail = random_bytes(300000, 5);
    REQUIRE(send_all(fd.get(), tail));
    ::shutdown(fd.get(), SHUT_WR);
    CHECK(wait_closed(fd.get()));
    for (int i = 0; i < 200 && fin.received().empty(); ++i)
        std::this_thread::sleep_for(10ms);
    REQUIRE(fin.received().size() == 1);
    CHECK(fin.received()[0] == tail);
}

TEST_CASE("a backend resetting mid-stream closes only that connection") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo, "echo");
    test_backend rst(test_backend::mode::reset, "rst");
    // echo is preferred (the POP's region) but takes one connection; the next goes to rst.
    write_routing_db(
        dir.file("routing.db"),
        {{"echo", echo.port(), "eu", "", "127.0.0.1", 1, 1, 100, 1}, {"rst", rst.port(), "us"}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--region", "eu"}});
    unique_fd a = connect_tcp(proxy.port());
    REQUIRE(a);
    REQUIRE(send_all(a.get(), "hello"));
    REQUIRE(read_exact(a.get(), 5) == std::optional<std::string>("hello"));

    unique_fd b = connect_tcp(proxy.port());
    REQUIRE(b);
    REQUIRE(send_all(b.get(), "x"));
    CHECK(wait_closed(b.get()));  // the reset backend's connection ends

    // The first connection is untouched.
    REQUIRE(send_all(a.get(), "still here"));
    CHECK(read_exact(a.get(), 10) == std::optional<std::string>("still here"));
    CHECK(proxy.metric("edge_connections_closed_total{reason=\"backend_error\"}") == 1);
}

TEST_CASE("connections spread over all workers") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2});
    for (int i = 0; i < 200; ++i)
        REQUIRE(echo_round_trip(proxy.port(), "ping"));
    auto w0 = proxy.metric("edge_worker_connections_total{worker=\"0\"}");
    auto w1 = proxy.metric("edge_worker_connections_total{worker=\"1\"}");
    REQUIRE(w0);
    REQUIRE(w1);
    CHECK(*w0 + *w1 == 200);
    CHECK(*w0 >= 20);  // SO_REUSEPORT hashes source ports; 200 land on both
    CHECK(*w1 >= 20);
}

TEST_CASE("IPv6: a [::1] listener, and a backend on ::1, relay like IPv4") {
    temp_dir dir;
    test_backend echo6(test_backend::mode::echo, "echo6", true);
    write_routing_db(dir.file("routing.db"), {{"echo6", echo6.port(), "eu", "", "::1"}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2, {"--listen", "[::1]:0"}});
    std::string out = proxy.output();
    auto at = out.find("listening on [::1]:");
    REQUIRE(at != std::string::npos);
    auto port6 = static_cast<std::uint16_t>(std::stoi(out.substr(at + 19)));
    std::string payload = random_bytes(200000, 6);
    for (std::uint16_t port : {port6, proxy.port()}) {
        unique_fd fd = connect_tcp(port, port == port6 ? "::1" : "127.0.0.1");
        REQUIRE(fd);
        auto reader = std::async(std::launch::async, [&] { return read_to_eof(fd.get(), 20s); });
        REQUIRE(send_all(fd.get(), payload));
        ::shutdown(fd.get(), SHUT_WR);
        CHECK(reader.get() == std::optional<std::string>(payload));
    }
    CHECK(proxy.metric("edge_backend_connections_total{backend=\"echo6\"}") == 2);
}

TEST_CASE("--busy-poll relays the same bytes and goes back to sleep when traffic stops") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--busy-poll", "50us"}});
    for (int i = 0; i < 200; ++i)
        REQUIRE(echo_round_trip(proxy.port(), random_bytes(1000 + i * 37, i)));
    // Idle: after the last burst the worker sleeps again, so its loop count stops climbing
    // (a stuck poll would add thousands of iterations a second).
    std::this_thread::sleep_for(300ms);
    auto before = proxy.metric("edge_worker_loop_iterations_total{worker=\"0\"}");
    std::this_thread::sleep_for(1s);
    auto after = proxy.metric("edge_worker_loop_iterations_total{worker=\"0\"}");
    REQUIRE(before);
    REQUIRE(after);
    CHECK(*after - *before < 100);  // ~10 ticks a second, plus the scrapes themselves
}

TEST_CASE("--busy-poll auto polls through a steady stream of requests and sleeps once it stops") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--busy-poll", "auto"}});
    REQUIRE(proxy.process().wait_for_output("a window adapted up to 1000 us", 5s));
    const std::string loop = "edge_worker_loop_iterations_total{worker=\"0\"}";

    // A kept-alive connection with a request every ~300 µs: gaps the window grows to span, so
    // the worker polls between requests instead of sleeping (many loop iterations per request;
    // sleeping takes two or three).
    auto fd = connect_tcp(proxy.port());
    REQUIRE(fd);
    auto before = proxy.metric(loop);
    int requests = 0;
    for (auto end = std::chrono::steady_clock::now() + 700ms;
         std::chrono::steady_clock::now() < end; ++requests) {
        std::string req = random_bytes(64, requests);
        REQUIRE(send_all(fd.get(), req));
        REQUIRE(read_exact(fd.get(), req.size()) == std::optional<std::string>(req));
        std::this_thread::sleep_for(300us);
    }
    auto during = proxy.metric(loop);
    REQUIRE(before);
    REQUIRE(during);
    CHECK(*during - *before > 10.0 * requests);

    // Traffic stops: the worker goes back to sleep (the loop count stops climbing).
    fd.reset();
    std::this_thread::sleep_for(300ms);
    auto idle0 = proxy.metric(loop);
    std::this_thread::sleep_for(1s);
    auto idle1 = proxy.metric(loop);
    REQUIRE(idle0);
    REQUIRE(idle1);
    CHECK(*idle1 - *idle0 < 100);
}
