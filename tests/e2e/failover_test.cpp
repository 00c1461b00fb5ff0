// End to end: backend connect failures, timeouts and failover, and clients with nowhere to go.

#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <chrono>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

TEST_CASE("a refused connect fails over to the next best backend") {
    temp_dir dir;
    test_backend good(test_backend::mode::banner, "good");
    std::uint16_t dead = refused_port();
    // dead is in the POP's region (tier 2), so the score tries it first.
    write_routing_db(dir.file("routing.db"), {{"dead", dead, "eu"}, {"good", good.port(), "us"}});
    SECTION("without affinity every client tries dead first") {
        proxy_process proxy(dir,
                            {dir.file("routing.db"), 1, {"--region", "eu", "--binding-ttl", "0"}});
        for (int i = 0; i < 5; ++i)
            CHECK(first_line_through(proxy.port()) == "good");
        CHECK(proxy.metric(
                  "edge_backend_connect_failures_total{backend=\"dead\",reason=\"refused\"}") == 5);
        CHECK(proxy.metric("edge_backend_connections_total{backend=\"good\"}") == 5);
        // One line per backend per interval, however many failures.
        CHECK_THAT(proxy.output(), Catch::Contains("backend dead (127.0.0.1:"));
        std::string out = proxy.output();
        std::size_t lines = 0;
        for (std::size_t p = 0; (p = out.find("backend dead (", p)) != std::string::npos; ++p)
            ++lines;
        CHECK(lines == 1);
    }
    SECTION("with affinity the client stays on the backend that answered") {
        proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--region", "eu"}});
        for (int i = 0; i < 5; ++i)
            CHECK(first_line_through(proxy.port()) == "good");
        CHECK(proxy.metric(
                  "edge_backend_connect_failures_total{backend=\"dead\",reason=\"refused\"}") == 1);
        CHECK(proxy.metric("edge_backend_connections_total{backend=\"good\"}") == 5);
    }
}

TEST_CASE("a blackholed backend times out after --connect-timeout and fails over") {
    temp_dir dir;
    test_backend good(test_backend::mode::banner, "good");
    blackhole_backend hole;
    write_routing_db(dir.file("routing.db"),
                     {{"hole", hole.port(), "eu"}, {"good", good.port(), "us"}});
    proxy_process proxy(
        dir, {dir.file("routing.db"), 1, {"--region", "eu", "--connect-timeout", "300ms"}});
    auto t0 = std::chrono::steady_clock::now();
    CHECK(first_line_through(proxy.port()) == "good");
    auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(waited >= 250ms);
    CHECK(waited < 3s);
    CHECK(proxy.metric(
              "edge_backend_connect_failures_total{backend=\"hole\",reason=\"timeout\"}") == 1);
    CHECK_THAT(proxy.output(), Catch::Contains("connect timed out after 300 ms"));
}

TEST_CASE("when every attempt fails the client is closed promptly and counted") {
    temp_dir dir;
    write_routing_db(dir.file("routing.db"), {{"d1", refused_port()},
                                              {"d2", refused_port()},
                                              {"d3", refused_port()},
                                              {"d4", refused_port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--connect-attempts", "3"}});
    auto t0 = std::chrono::steady_clock::now();
    unique_fd fd = connect_tcp(proxy.port());
    REQUIRE(fd);
    CHECK(wait_closed(fd.get(), 2s));
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
    CHECK(proxy.metric("edge_connections_rejected_total{reason=\"connect_failed\"}") == 1);
    double failures = 0;
    for (const char* id : {"d1", "d2", "d3", "d4"})
        failures += proxy
                        .metric(std::string("edge_backend_connect_failures_total{backend=\"") + id +
                                "\",reason=\"refused\"}")
                        .value_or(0);
    CHECK(failures == 3);  // --connect-attempts, not every backend
}

TEST_CASE("with no eligible backend the client is closed at once") {
    temp_dir dir;
    write_routing_db(dir.file("routing.db"), {{"sick", 9, "eu", "", "127.0.0.1", 0}});
    proxy_process proxy(dir, {dir.file("routing.db")});
    unique_fd fd = connect_tcp(proxy.port());
    REQUIRE(fd);
    CHECK(wait_closed(fd.get(), 2s));
    CHECK(proxy.metric("edge_connections_rejected_total{reason=\"no_backend\"}") == 1);
}

TEST_CASE("hard_limit 1: the second client goes to the next backend") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a");
    test_backend b(test_backend::mode::banner, "b");
    write_routing_db(dir.file("routing.db"),
                     {{"a", a.port(), "eu", "", "127.0.0.1", 1, 1, 100, 1},
                      {"b", b.port(), "us", "", "127.0.0.1", 1, 1, 100, 1}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--region", "eu"}});
    unique_fd first = connect_tcp(proxy.port());
    REQUIRE(read_exact(first.get(), 2) == std::optional<std::string>("a\n"));
    unique_fd second = connect_tcp(proxy.port());
    REQUIRE(read_exact(second.get(), 2) == std::optional<std::string>("b\n"));
    unique_fd third = connect_tcp(proxy.port());
    REQUIRE(third);
    CHECK(wait_closed(third.get(), 2s));  // both full
    CHECK(proxy.metric("edge_connections_rejected_total{reason=\"capacity\"}") == 1);
}
