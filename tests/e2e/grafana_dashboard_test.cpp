// tools/grafana/edgeproxy.json against the real binary: every metric a panel or variable queries
// must exist in a scrape of /metrics (a renamed metric would leave a panel silently empty), and the
// dashboard covers what an operator looks at first.

#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;
using json = nlohmann::json;

namespace {

json load_dashboard() {
    std::ifstream in(env_or_empty("EDGE_SOURCE_DIR") + "/tools/grafana/edgeproxy.json");
    REQUIRE(in);
    return json::parse(in);
}

// Every PromQL text of the dashboard: panel targets and template variable queries.
std::vector<std::string> queries(const json& d) {
    std::vector<std::string> out;
    for (const json& p : d.at("panels"))
        for (const json& t : p.value("targets", json::array()))
            out.push_back(t.at("expr").get<std::string>());
    for (const json& v : d.at("templating").at("list"))
        out.push_back(v.at("definition").get<std::string>());
    return out;
}

// The metric names (series names as scraped, e.g. a histogram's _bucket) a query uses.
std::set<std::string> metric_names(const std::vector<std::string>& qs) {
    static const std::regex name(R"(\b(?:edge|process)_[a-z0-9_]+)");
    std::set<std::string> out;
    for (const std::string& q : qs)
        for (auto it = std::sregex_iterator(q.begin(), q.end(), name); it != std::sregex_iterator();
             ++it)
            out.insert(it->str());
    return out;
}

bool scraped(const std::string& body, const std::string& name) {
    for (const char* after : {" ", "{"})
        if (body.starts_with(name + after) || body.find("\n" + name + after) != std::string::npos)
            return true;
    return false;
}

}  // namespace

TEST_CASE("every metric the Grafana dashboard queries is in a real scrape") {
    const json d = load_dashboard();
    const std::set<std::string> names = metric_names(queries(d));
    REQUIRE(names.size() > 20);

    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"b1", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db")});
    REQUIRE(echoes_through(proxy.port(), "hi"));
    const std::string body = proxy.http_get("/metrics");
    REQUIRE(!body.empty());
    for (const std::string& n : names) {
        INFO(n);
        CHECK(scraped(body, n));
    }
}

TEST_CASE("the dashboard covers connections, rejects, bytes, backends, reloads, loops, process") {
    const json d = load_dashboard();
    const std::set<std::string> names = metric_names(queries(d));
    for (const char* want :
         {"edge_connections_total", "edge_connections_current", "edge_connections_rejected_total",
          "edge_bytes_total", "edge_backend_state", "edge_backend_connections_current",
          "edge_backend_connect_failures_total", "edge_backend_connect_seconds_bucket",
          "edge_routing_reloads_total", "edge_worker_loop_busy_seconds_bucket",
          "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
          "process_start_time_seconds"}) {
        INFO(want);
        CHECK(names.count(want) == 1);
    }
    // Importable: one Prometheus data source input, panels with unique ids that all use it.
    CHECK(d.at("__inputs").at(0).at("pluginId") == "prometheus");
    std::set<int> ids;
    for (const json& p : d.at("panels")) {
        CHECK(ids.insert(p.at("id").get<int>()).second);
        if (p.at("type") != "row") CHECK(p.at("datasource").at("uid") == "${DS_PROMETHEUS}");
    }
}
