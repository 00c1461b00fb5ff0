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
    CHECK_THAT(out,
               Catch::Contains("edge_backend_latency_ms_sum{backend=\"sa-\\\"1\\\"\"} 10006.3\n"));
    // The same histogram in seconds, Prometheus' base unit.
    CHECK_THAT(out, Catch::Contains("# TYPE edge_backend_connect_seconds histogram\n"));
    CHECK_THAT(
        out,
        Catch::Contains(
            "edge_backend_connect_seconds_bucket{backend=\"sa-\\\"1\\\"\",le=\"0.0005\"} 1\n"));
    CHECK_THAT(
        out, Catch::Contains(
                 "edge_backend_connect_seconds_bucket{backend=\"sa-\\\"1\\\"\",le=\"+Inf\"} 3\n"));
    CHECK_THAT(out, Catch::Contains(
                        "edge_backend_connect_seconds_sum{backend=\"sa-\\\"1\\\"\"} 10.0063\n"));
    CHECK_THAT(out,
               Catch::Contains("edge_backend_connect_seconds_count{backend=\"sa-\\\"1\\\"\"} 3\n"));
    CHECK_THAT(
        out, Catch::Contains("edge_backend_state{backend=\"sa-\\\"1\\\"\",state=\"healthy\"} 1\n"));
}

TEST_CASE("loop busy time: a histogram in seconds with its sum, and the longest iteration") {
    worker_metrics w;
    w.record_loop_busy(5);       // ≤ 10 µs
    w.record_loop_busy(250);     // ≤ 1 ms
    w.record_loop_busy(200000);  // above the last bound
    std::string out;
    const worker_metrics* ws[] = {&w};
    render_prometheus(out, ws, nullptr, process_gauges{1, false});
    CHECK_THAT(out, Catch::Contains("# TYPE edge_worker_loop_busy_seconds histogram\n"));
    CHECK_THAT(out, Catch::Contains(
                        "edge_worker_loop_busy_seconds_bucket{worker=\"0\",le=\"1e-05\"} 1\n"));
    CHECK_THAT(out, Catch::Contains(
                        "edge_worker_loop_busy_seconds_bucket{worker=\"0\",le=\"0.001\"} 2\n"));
    CHECK_THAT(
        out, Catch::Contains("edge_worker_loop_busy_seconds_bucket{worker=\"0\",le=\"+Inf\"} 3\n"));
    CHECK_THAT(out, Catch::Contains("edge_worker_loop_busy_seconds_sum{worker=\"0\"} 0.200255\n"));
    CHECK_THAT(out, Catch::Contains("edge_worker_loop_busy_seconds_count{worker=\"0\"} 3\n"));
    CHECK_THAT(out, Catch::Contains("edge_worker_loop_busy_max_seconds{worker=\"0\"} 0.2\n"));
    // The process metrics come from /proc/self at scrape time.
    CHECK_THAT(out, Catch::Contains("# TYPE process_cpu_seconds_total counter\n"));
    CHECK_THAT(out, Catch::Contains("# TYPE process_resident_memory_bytes gauge\n"));
    CHECK_THAT(out, Catch::Contains("\nprocess_open_fds "));
    CHECK_THAT(out, Catch::Contains("\nprocess_max_fds "));
    CHECK_THAT(out, Catch::Contains("\nprocess_start_time_seconds "));
}
