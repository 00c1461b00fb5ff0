#include <catch2/catch.hpp>

#include "engine/host/metrics.hpp"

using namespace edge::engine;

TEST_CASE("the scrape sums every worker's counters and renders the per-backend histogram") {
    worker_metrics a, b;
    REQUIRE(a.map_backends(4).has_value());
    REQUIRE(b.map_backends(4).has_value());
    a.connections_total.add(3);
    b.connections_total.add(4);
    a.connections_current.add(2);
    b.connections_current.add(1);
    a.rejected[std::size_t(reject_reason::capacity)].add(5);
    a.bytes_client_to_backend.add(100);
    b.bytes_backend_to_client.add(250);
    a.record_connect_latency(2, 300);      // 0.3 ms → le 0.5
    b.record_connect_latency(2, 7000);     // 7 ms → le 10
    b.record_connect_latency(2, 9999000);  // beyond the last bound → +Inf only
    b.backends[2].connect_failures[std::size_t(connect_failure::timeout)].add();

    edge::routing::snapshot s;
    edge::routing::backend_shared shared;
    shared.live.store(6);
    edge::routing::backend be;
    be.id = "sa-\"1\"";
    be.slot = 2;
    be.shared = &shared;
    s.backends.push_back(be);

    std::string out;
    const worker_metrics* ws[] = {&a, &b};
    render_prometheus(out, ws, &s, process_gauges{2, false});
    CHECK_THAT(out, Catch::Contains("edge_connections_total 7\n"));
    CHECK_THAT(out, Catch::Contains("edge_connections_current 3\n"));
    CHECK_THAT(out, Catch::Contains("edge_connections_rejected_total{reason=\"capacity\"} 5\n"));
    CHECK_THAT(out, Catch::Contains("edge_bytes_total{direction=\"client_to_backend\"} 100\n"));
    CHECK_THAT(out, Catch::Contains("edge_bytes_total{direction=\"backend_to_client\"} 250\n"));
    CHECK_THAT(out,
               Catch::Contains("edge_backend_connections_current{backend=\"sa-\\\"1\\\"\"} 6\n"));
    CHECK_THAT(out,
               Catch::Contains(
                   "edge_backend_latency_ms_bucket{backend=\"sa-\\\"1\\\"\",le=\"0.25\"} 0\n"));
    CHECK_THAT(out, Catch::Contains(
                        "edge_backend_latency_ms_bucket{backend=\"sa-\\\"1\\\"\",le=\"0.5\"} 1\n"));
    CHECK_THAT(out, Catch::Contains(
                        "edge_backend_latency_ms_bucket{backend=\"sa-\\\"1\\\"\",le=\"10\"} 2\n"));
    CHECK_THAT(out,
               Catch::Contains(
                   "edge_backend_latency_ms_bucket{backend=\"sa-\\\"1\\\"\",le=\"5000\"} 2\n"));
    CHECK_THAT(out,
               Catch::Contains(
                   "edge_backend_latency_ms_bucket{backend=\"sa-\\\"1\\\"\",le=\"+Inf\"} 3\n"));
    CHECK_THAT(out, Catch::Contains("edge_backend_latency_ms_count{backend=\"sa-\\\"1\\\"\"} 3\n"));
    CHECK_THAT(out, Catch::Contains("edge_backend_connect_failures_total{backend=\"sa-\\\"1\\\"\","
                                    "reason=\"timeout\"} 1\n"));
    CHECK_THAT(out, Catch::Contains("# TYPE edge_backend_latency_ms histogram\n"));
}
