// End to end: active health checks as an operator sees them through the real binary. A backend
// killed stops getting new clients after `fall` failed checks and its bound clients move; back,
// it returns after `rise` passed checks and its share ramps up (slow start); send/expect and HTTP
// checks take down a backend that accepts but never answers, or answers wrong; a health_checks
// edit made with edgectl applies without a restart.

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <thread>

#include "tests/support/process.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;
using clock_type = std::chrono::steady_clock;

namespace {

// Fast checks so that each test takes seconds: rise 2, fall 3 as by default.
const std::vector<std::string> fast_checks = {
    "--check-interval", "200ms", "--check-fast-interval", "100ms", "--check-down-interval", "200ms",
    "--check-timeout",  "150ms", "--check-rise",          "2",     "--check-fall",          "3"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

std::pair<int, std::string> edgectl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {edgectl_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

double metric_or_0(const proxy_process& p, const std::string& series) {
    return p.metric(series).value_or(0);
}

}  // namespace

TEST_CASE(
    "a killed backend: no new client after fall checks; restarted: back after rise, ramping") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a");
    test_backend b(test_backend::mode::banner, "b");
    write_routing_db(dir.file("routing.db"), {{"a", a.port()}, {"b", b.port()}});
    proxy_process proxy(
        dir,
        {dir.file("routing.db"), 1,
         with(fast_checks, {"--binding-ttl", "0", "--eject-after", "0", "--slow-start", "3s"})});
    // Both serve: short connections share them by weight.
    std::map<std::string, int> got;
    for (int i = 0; i < 20; ++i)
        got[first_line_through(proxy.port())]++;
    CHECK(got["a"] == 10);
    CHECK(got["b"] == 10);

    a.stop_listening();
    REQUIRE(
        proxy.process().wait_for_output("is down: 3 checks failed in a row (last: refused", 5s));
    CHECK(metric_or_0(proxy, "edge_backend_health_state{backend=\"a\",state=\"down\"}") == 1);
    CHECK(metric_or_0(proxy, "edge_backend_in_service{backend=\"a\"}") == 0);
    // From now on every client reaches b at the first attempt: none is even tried on a.
    double failures =
        metric_or_0(proxy, "edge_backend_connect_failures_total{backend=\"a\",reason=\"refused\"}");
    for (int i = 0; i < 20; ++i)
        CHECK(first_line_through(proxy.port()) == "b");
    CHECK(metric_or_0(proxy,
                      "edge_backend_connect_failures_total{backend=\"a\",reason=\"refused\"}") ==
          failures);

    a.listen_again();
    REQUIRE(proxy.process().wait_for_output("backend a (127.0.0.1:" + std::to_string(a.port()) +
                                                ") is up: 2 checks passed in a row; slow start",
                                            5s));
    // Its share ramps up over the slow start (3 s): count where clients go, second by second.
    auto back = clock_type::now();
    CHECK(metric_or_0(proxy, "edge_backend_weight_ratio{backend=\"a\"}") < 0.5);
    std::vector<std::map<std::string, int>> per_second(4);
    while (clock_type::now() - back < 4s) {
        auto sec = static_cast<std::size_t>(
            std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - back).count());
        per_second[std::min<std::size_t>(sec, 3)][first_line_through(proxy.port())]++;
        std::this_thread::sleep_for(5ms);
    }
    auto share = [&](std::size_t s) {
        double n = per_second[s]["a"] + per_second[s]["b"];
        return n > 0 ? per_second[s]["a"] / n : 0.0;
    };
    INFO("a's share, second by second: " << share(0) << " " << share(1) << " " << share(2) << " "
                                         << share(3));
    CHECK(share(0) < 0.3);  // the first second: a sixth of its weight on average
    CHECK(share(0) < share(2));
    CHECK(share(3) > 0.4);  // ramp over: an even split again
    CHECK(proxy.process().wait_for_output(
        "backend a (127.0.0.1:" + std::to_string(a.port()) + ") is at full weight", 2s));
}

TEST_CASE("a bound client moves when its backend goes down") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a");
    test_backend b(test_backend::mode::banner, "b");
    write_routing_db(dir.file("routing.db"), {{"a", a.port()}, {"b", b.port()}});
    proxy_process proxy(dir,
                        {dir.file("routing.db"), 1, with(fast_checks, {"--eject-after", "0"})});
    // Find a client address that is bound to a.
    std::string bound;
    for (int i = 2; i < 40 && bound.empty(); ++i) {
        std::string src = "127.0.0." + std::to_string(i);
        if (first_line_through(proxy.port(), src) == "a") bound = src;
    }
    REQUIRE(!bound.empty());
    CHECK(first_line_through(proxy.port(), bound) == "a");  // affinity holds
    a.stop_listening();
    REQUIRE(proxy.process().wait_for_output("is down: 3 checks failed in a row", 5s));
    double failures =
        metric_or_0(proxy, "edge_backend_connect_failures_total{backend=\"a\",reason=\"refused\"}");
    CHECK(first_line_through(proxy.port(), bound) == "b");
    CHECK(first_line_through(proxy.port(), bound) == "b");  // and stays there
    // It moved without a failed connect to a first.
    CHECK(metric_or_0(proxy,
                      "edge_backend_connect_failures_total{backend=\"a\",reason=\"refused\"}") ==
          failures);
}

TEST_CASE("send/expect and http checks take down backends that accept but answer wrong or never") {
    temp_dir dir;
    test_backend pong(test_backend::mode::banner, "+PONG");   // answers "+PONG\n"
    test_backend silent(test_backend::mode::hold, "silent");  // reads, never answers
    test_backend echo(test_backend::mode::echo, "echo");      // answers "PING" back
    test_backend web(test_backend::mode::banner, "HTTP/1.0 204 No Content");
    test_backend busy(test_backend::mode::banner, "HTTP/1.0 503 Busy");
    const std::string db = dir.file("routing.db");
    write_routing_db(db, {{"pong", pong.port()},
                          {"silent", silent.port()},
                          {"echo", echo.port()},
                          {"web", web.port()},
                          {"busy", busy.port()}});
    for (const char* id : {"pong", "silent", "echo"}) {
        auto [code, out] = edgectl({"backend", "check", db, id, "--send", "PING\\r\\n", "--expect",
                                    "+PONG", "--interval", "200ms", "--timeout", "150ms"});
        REQUIRE(code == 0);
        INFO(out);
    }
    for (const char* id : {"web", "busy"})
        REQUIRE(edgectl({"backend", "check", db, id, "--path", "/health", "--status", "2xx",
                         "--interval", "200ms", "--timeout", "150ms"})
                    .first == 0);
    proxy_process proxy(dir, {db, 1, with(fast_checks, {"--eject-after", "0"})});
    REQUIRE(proxy.process().wait_for_output("backend silent (", 5s));
    REQUIRE(
        proxy.process().wait_for_output("(last: timeout; check: send 'PING\\r\\n' expect "
                                        "'+PONG')",
                                        5s));
    REQUIRE(proxy.process().wait_for_output("backend echo (", 5s));
    REQUIRE(proxy.process().wait_for_output("(last: mismatch; check: send", 5s));
    REQUIRE(proxy.process().wait_for_output("backend busy (", 5s));
    REQUIRE(
        proxy.process().wait_for_output("(last: mismatch; check: http GET /health HTTP/1.0 "
                                        "expect 2xx)",
                                        5s));
    std::this_thread::sleep_for(500ms);  // a few more checks of the good ones
    for (const char* id : {"silent", "echo", "busy"}) {
        INFO(id);
        CHECK(metric_or_0(proxy, std::string("edge_backend_health_state{backend=\"") + id +
                                     "\",state=\"down\"}") == 1);
    }
    for (const char* id : {"pong", "web"}) {
        INFO(id);
        CHECK(metric_or_0(proxy, std::string("edge_backend_health_state{backend=\"") + id +
                                     "\",state=\"up\"}") == 1);
        CHECK(metric_or_0(proxy, std::string("edge_backend_health_checks_total{backend=\"") + id +
                                     "\",result=\"passed\"}") >= 3);
    }
    CHECK(metric_or_0(proxy,
                      "edge_backend_health_checks_total{backend=\"silent\",result=\"timeout\"}") >=
          3);
    CHECK(metric_or_0(proxy,
                      "edge_backend_health_check_duration_seconds_count{backend=\"pong\"}") >= 3);
    // Clients reach only the two that pass.
    std::map<std::string, int> got;
    for (int i = 0; i < 20; ++i)
        got[first_line_through(proxy.port())]++;
    CHECK(got["+PONG"] + got["HTTP/1.0 204 No Content"] == 20);
}

TEST_CASE("a health_checks edit applies without a restart") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo, "echo");
    const std::string db = dir.file("routing.db");
    write_routing_db(db, {{"echo", echo.port()}});
    REQUIRE(edgectl({"backend", "check", db, "echo", "--send", "PING\\r\\n", "--expect", "+PONG",
                     "--interval", "200ms"})
                .first == 0);
    proxy_process proxy(
        dir, {db, 1, with(fast_checks, {"--eject-after", "0", "--reload-interval", "100ms"})});
    REQUIRE(proxy.process().wait_for_output("backend echo (", 5s));
    REQUIRE(
        proxy.process().wait_for_output("is down: 3 checks failed in a row (last: mismatch", 5s));
    // The operator fixes the check: the expected reply is the echo.
    REQUIRE(edgectl({"backend", "check", db, "echo", "--send", "PING\\r\\n", "--expect", "PING",
                     "--interval", "200ms"})
                .first == 0);
    REQUIRE(proxy.process().wait_for_output("is up: 2 checks passed in a row", 5s));
    CHECK(metric_or_0(proxy, "edge_backend_health_state{backend=\"echo\",state=\"down\"}") == 0);
    // And back to the flags' default (a plain connect): still up, never down again.
    REQUIRE(edgectl({"backend", "check", db, "echo", "--default"}).first == 0);
    std::this_thread::sleep_for(1s);
    CHECK(metric_or_0(proxy, "edge_backend_in_service{backend=\"echo\"}") == 1);
}
