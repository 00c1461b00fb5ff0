// End to end: passive ejection from live traffic (Envoy's outlier detection) and the panic rule.
// Connects refused five times in a row eject a backend before its slow active checks could
// notice, and the second ejection in a row lasts twice the first; the cap on the share of
// backends ejected at once holds; when every backend is down the panic rule decides (fail open
// by default, refuse with --health-panic closed), and a tier whose backends are down spills to
// the next tier without any panic.

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

namespace {

double metric_or_0(const proxy_process& p, const std::string& series) {
    return p.metric(series).value_or(0);
}

bool has(const proxy_process& p, const std::string& text) {
    return p.output().find(text) != std::string::npos;
}

// The log line's time of day in milliseconds ("2026-12-06T06:35:16.697Z LEVEL …") of the first
// line at or after `from` that contains `needle`; -1 when there is none. `from` moves past it.
long long log_time_ms(const std::string& out, const std::string& needle, std::size_t& from) {
    std::size_t at = out.find(needle, from);
    if (at == std::string::npos) return -1;
    std::size_t line = out.rfind('\n', at);
    line = line == std::string::npos ? 0 : line + 1;
    from = at + needle.size();
    if (out.size() < line + 23 || out[line + 10] != 'T') return -1;
    auto num = [&](std::size_t pos, std::size_t n) {
        return std::stoll(out.substr(line + pos, n));
    };
    return ((num(11, 2) * 60 + num(14, 2)) * 60 + num(17, 2)) * 1000 + num(20, 3);
}

std::pair<int, std::string> edgectl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {edgectl_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

}  // namespace

TEST_CASE("connects refused 5 times in a row eject a backend; the second ejection lasts twice") {
    temp_dir dir;
    test_backend good(test_backend::mode::banner, "good");
    std::uint16_t dead = refused_port();
    write_routing_db(dir.file("routing.db"), {{"dead", dead}, {"good", good.port()}});
    // Active checks so slow that they cannot take `dead` down during the test (3 failures 30 s
    // apart): whatever happens to it here is passive.
    proxy_process proxy(dir, {dir.file("routing.db"),
                              1,
                              {"--check-interval", "30s", "--check-fast-interval", "30s",
                               "--eject-after", "5", "--eject-time", "1s", "--binding-ttl", "0",
                               "--connect-attempts", "2", "--slow-start", "0"}});
    const std::string refused =
        "edge_backend_connect_failures_total{backend=\"dead\",reason=\"refused\"}";
    // Clients share the two backends; those sent to `dead` fail over to `good`.
    int clients = 0;
    while (!has(proxy, "ejected for 1 s") && clients < 200) {
        CHECK(first_line_through(proxy.port()) == "good");
        ++clients;
    }
    REQUIRE(proxy.process().wait_for_output(
        "backend dead (127.0.0.1:" + std::to_string(dead) +
            ") ejected for 1 s: 5 failures in a row in live traffic (last: refused); ejection 1",
        2s));
    double after_first = metric_or_0(proxy, refused);
    CHECK(after_first >= 5);
    CHECK(after_first <= 6);  // at most one more client raced the ejection
    CHECK(metric_or_0(proxy, "edge_backend_health_state{backend=\"dead\",state=\"ejected\"}") == 1);
    CHECK(metric_or_0(proxy, "edge_backend_ejections_total{backend=\"dead\"}") == 1);
    // The active check has not taken it down: at most its one first check ran.
    CHECK(metric_or_0(
              proxy, "edge_backend_health_checks_total{backend=\"dead\",result=\"refused\"}") <= 1);
    // While ejected, no client is even tried on it.
    for (int i = 0; i < 20; ++i)
        CHECK(first_line_through(proxy.port()) == "good");
    CHECK(metric_or_0(proxy, refused) == after_first);

    // Its time runs out, clients try it again, it fails again: ejected for twice as long.
    REQUIRE(proxy.process().wait_for_output("is back in service after its ejection", 3s));
    clients = 0;
    while (!has(proxy, "ejected for 2 s") && clients < 200) {
        CHECK(first_line_through(proxy.port()) == "good");
        ++clients;
    }
    REQUIRE(proxy.process().wait_for_output("ejected for 2 s", 2s));
    REQUIRE(proxy.process().wait_for_output("ejection 2 in a row", 1s));
    auto second_back = [&] {
        std::string o = proxy.output();
        std::size_t from = o.find("ejected for 2 s");
        return from != std::string::npos && o.find("is back in service", from) != std::string::npos;
    };
    for (int i = 0; i < 60 && !second_back(); ++i)
        std::this_thread::sleep_for(100ms);
    std::string out = proxy.output();
    std::size_t from = 0;
    long long ejected = log_time_ms(out, "ejected for 2 s", from);
    long long back = log_time_ms(out, "is back in service", from);
    REQUIRE(ejected >= 0);
    REQUIRE(back >= 0);
    INFO("second ejection lasted " << back - ejected << " ms");
    CHECK(back - ejected >= 1900);
    CHECK(back - ejected < 3000);
}

TEST_CASE("the ejection cap: at most --eject-max-percent of the backends are ejected at once") {
    temp_dir dir;
    test_backend good(test_backend::mode::banner, "good");
    write_routing_db(dir.file("routing.db"), {{"good", good.port()},
                                              {"d1", refused_port()},
                                              {"d2", refused_port()},
                                              {"d3", refused_port()}});
    proxy_process proxy(
        dir, {dir.file("routing.db"),
              1,
              {"--check-interval", "0", "--eject-after", "3", "--eject-time", "60s",
               "--eject-max-percent", "50", "--binding-ttl", "0", "--connect-attempts", "4"}});
    int clients = 0;
    while (!has(proxy, "stays in service") && clients < 300) {
        CHECK(first_line_through(proxy.port()) == "good");
        ++clients;
    }
    REQUIRE(proxy.process().wait_for_output(
        "but stays in service: 2 of 4 backends are ejected already (--eject-max-percent 50)", 2s));
    CHECK(metric_or_0(proxy, "edge_health_backends_out_of_service") == 2);
    double ejections = 0;
    for (const char* id : {"d1", "d2", "d3"})
        ejections +=
            metric_or_0(proxy, std::string("edge_backend_ejections_total{backend=\"") + id + "\"}");
    CHECK(ejections == 2);
    CHECK(metric_or_0(proxy, "edge_health_ejections_capped_total") >= 1);
    CHECK(metric_or_0(proxy, "edge_health_panic") == 0);
    // More failures do not eject the third.
    for (int i = 0; i < 30; ++i)
        CHECK(first_line_through(proxy.port()) == "good");
    CHECK(metric_or_0(proxy, "edge_health_backends_out_of_service") == 2);
}

TEST_CASE("every backend down: the panic rule") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a");
    test_backend b(test_backend::mode::banner, "b");
    const std::string db = dir.file("routing.db");
    write_routing_db(db, {{"a", a.port()}, {"b", b.port()}});
    // The checks expect what these backends never say: both go down, though they serve clients.
    for (const char* id : {"a", "b"})
        REQUIRE(edgectl({"backend", "check", db, id, "--expect", "NOPE", "--interval", "200ms",
                         "--timeout", "150ms"})
                    .first == 0);
    const std::vector<std::string> fast = {
        "--check-fast-interval", "100ms", "--check-down-interval", "200ms", "--binding-ttl", "0"};
    SECTION("fail open (the default): clients go to all of them as if unchecked") {
        proxy_process proxy(dir, {db, 1, fast});
        REQUIRE(proxy.process().wait_for_output(
            "every one of the 2 selectable backends is down or ejected: failing open", 5s));
        CHECK(metric_or_0(proxy, "edge_health_panic") == 1);
        std::map<std::string, int> got;
        for (int i = 0; i < 20; ++i)
            got[first_line_through(proxy.port())]++;
        CHECK(got["a"] == Approx(10).margin(2));
        CHECK(got["b"] == Approx(10).margin(2));
    }
    SECTION("fail closed: clients are refused") {
        auto args = fast;
        args.insert(args.end(), {"--health-panic", "closed"});
        proxy_process proxy(dir, {db, 1, args});
        REQUIRE(proxy.process().wait_for_output("clients are refused (--health-panic closed)", 5s));
        unique_fd fd = connect_tcp(proxy.port());
        REQUIRE(fd);
        CHECK(wait_closed(fd.get(), 2s));
        CHECK(metric_or_0(proxy, "edge_connections_rejected_total{reason=\"no_backend\"}") >= 1);
    }
}

TEST_CASE("a tier whose backends are all down spills to the next tier, without panic") {
    temp_dir dir;
    test_backend near(test_backend::mode::banner, "near");
    test_backend far(test_backend::mode::banner, "far");
    const std::string db = dir.file("routing.db");
    write_routing_db(db, {{"near", near.port(), "eu"}, {"far", far.port(), "us"}});
    REQUIRE(edgectl({"backend", "check", db, "near", "--expect", "NOPE", "--interval", "200ms",
                     "--timeout", "150ms"})
                .first == 0);
    proxy_process proxy(dir, {db,
                              1,
                              {"--region", "eu", "--check-interval", "200ms",
                               "--check-fast-interval", "100ms", "--binding-ttl", "0"}});
    CHECK(first_line_through(proxy.port()) == "near");  // the POP's region first
    REQUIRE(proxy.process().wait_for_output("backend near (", 5s));
    REQUIRE(proxy.process().wait_for_output("is down", 5s));
    for (int i = 0; i < 10; ++i)
        CHECK(first_line_through(proxy.port()) == "far");
    CHECK(metric_or_0(proxy, "edge_health_panic") == 0);
}
