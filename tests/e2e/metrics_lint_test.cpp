// /metrics as Prometheus' own linter sees it: the real binary, with a healthy, a draining and an
// unhealthy backend and one proxied connection behind it, scraped and fed to `promtool check
// metrics`. The one complaint allowed is edgeProxy's documented edge_backend_latency_ms (a unit
// in the name), kept for dashboards built for edgeProxy beside edge_backend_connect_seconds.
// Exits 77 (skip) when promtool is missing (Debian's `prometheus` package ships it).

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

std::string promtool_path() {
    for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/bin/"}) {
        std::string p = std::string(dir) + "promtool";
        if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return "";
}

// The lines of text, without empty ones.
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) out.push_back(l);
    return out;
}

}  // namespace

TEST_CASE("promtool check metrics passes on a real scrape, but for edgeProxy's documented name") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    const std::string db = dir.file("routing.db");
    write_routing_db(db, {{"live", echo.port()},
                          {"going", echo.port()},
                          {"down", echo.port(), "eu", "", "127.0.0.1", /*healthy=*/0}});
    exec_sql(db,
             "CREATE TABLE draining (id TEXT PRIMARY KEY); INSERT INTO draining VALUES ('going');");
    proxy_process proxy(dir, {db});
    REQUIRE(echoes_through(proxy.port(), "ping"));
    const std::string body = proxy.http_get("/metrics");
    REQUIRE(!body.empty());
    const std::string scrape = dir.file("metrics.txt");
    std::ofstream(scrape) << body;

    auto [code, out] = run_command({"sh", "-c", promtool_path() + " check metrics < " + scrape});
    INFO(out);
    const auto complaints = lines_of(out);
    CHECK((code == 0 || code == 3));
    REQUIRE(complaints.size() == 1);
    CHECK(complaints[0] ==
          "edge_backend_latency_ms metric names should not contain abbreviated units");

    // The same histogram in seconds beside it, the backend states, and the process metrics.
    CHECK(proxy.metric("edge_backend_connect_seconds_count{backend=\"live\"}") == 1);
    CHECK(proxy.metric("edge_backend_latency_ms_count{backend=\"live\"}") == 1);
    CHECK(proxy.metric("edge_backend_connect_seconds_sum{backend=\"live\"}") > 0);
    CHECK(proxy.metric("edge_backend_state{backend=\"live\",state=\"healthy\"}") == 1);
    CHECK(proxy.metric("edge_backend_state{backend=\"going\",state=\"draining\"}") == 1);
    CHECK(proxy.metric("edge_backend_state{backend=\"going\",state=\"healthy\"}") == 0);
    CHECK(proxy.metric("edge_backend_state{backend=\"down\",state=\"unhealthy\"}") == 1);
    CHECK(proxy.metric("process_resident_memory_bytes") > 1e6);
    CHECK(proxy.metric("process_open_fds") >= 3);
    CHECK(proxy.metric("process_max_fds") >= proxy.metric("process_open_fds"));
    CHECK(proxy.metric("process_cpu_seconds_total") >= 0);
    const double started = proxy.metric("process_start_time_seconds").value_or(0);
    const auto now = double(std::time(nullptr));
    CHECK(started <= now + 1);
    CHECK(started > now - 120);
    CHECK(proxy.metric("edge_worker_loop_busy_seconds_count{worker=\"0\"}") > 0);
}

int main(int argc, char** argv) {
    if (promtool_path().empty()) {
        std::fprintf(stderr, "SKIP: promtool not installed (apt install prometheus)\n");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
