// The status of each backend for the control thread (engine/host/health_status) and its
// Prometheus series (engine/host/health_metrics): the operator's word, the checker's cells, and
// what a reader sees before the checker has judged a backend.

#include <catch2/catch.hpp>

#include "engine/host/health_metrics.hpp"
#include "engine/host/health_status.hpp"
#include "engine/host/passive_reports.hpp"
#include "routing/registry.hpp"
#include "routing/snapshot_build.hpp"

using namespace edge;
using namespace edge::engine;

namespace {

routing::snapshot_ptr table(routing::backend_registry& reg) {
    routing::snapshot_input in;
    for (const char* id : {"up", "down", "ejected", "ramping", "off", "drain", "new"}) {
        routing::backend b;
        b.id = id;
        b.region = *geo::region_code::parse("eu");
        b.address = *parse_ip_literal("127.0.0.1", 80);
        b.healthy = std::string(id) != "off";
        b.draining = std::string(id) == "drain";
        in.backends.push_back(std::move(b));
    }
    std::vector<routing::rejected_row> rejected;
    return routing::build_snapshot(std::move(in), reg, rejected);
}

void set_cell(health_board& board, const routing::backend& b, health_state st,
              std::uint8_t reason = 0, std::uint8_t level = 0) {
    health_cell& c = board.cell(b.slot);
    c.generation.store(b.generation);
    c.state.store(std::uint8_t(st));
    c.reason.store(reason);
    c.level.store(level);
    c.since_ms.store(1000);
}

// A table of one backend per state, and an empty board for it.
struct fixture {
    routing::backend_registry reg;
    routing::snapshot_ptr snap = table(reg);
    std::unique_ptr<health_board> board = *health_board::create(reg.capacity(), true, true);
    health_board& hb = *board;
    const std::vector<routing::backend>& bs = snap->backends;
};

const backend_health_status& find(const std::vector<backend_health_status>& v,
                                  const std::string& id) {
    for (const auto& s : v)
        if (s.id == id) return s;
    FAIL("no " << id);
    return v.front();
}

}  // namespace

TEST_CASE_METHOD(fixture, "each backend's effective state and why", "[health]") {
    set_cell(hb, bs[0], health_state::up);
    set_cell(hb, bs[1], health_state::down, std::uint8_t(check_result::refused));
    set_cell(hb, bs[2], health_state::ejected, std::uint8_t(passive_failure::timeout));
    hb.cell(bs[2].slot).until_ms.store(31000);
    hb.cell(bs[2].slot).ejection_ms.store(30000);
    set_cell(hb, bs[3], health_state::slow_start, 0, 192);
    set_cell(hb, bs[5], health_state::up);
    hb.cell(bs[1].slot).checks[std::size_t(check_result::refused)].add(3);
    hb.cell(bs[0].slot).checks[std::size_t(check_result::passed)].add(7);

    auto st = describe_health(&hb, bs, 5000);
    CHECK(find(st, "up").in_service);
    CHECK(std::string(find(st, "up").state) == "up");
    CHECK(find(st, "up").checks_passed == 7);
    CHECK(find(st, "up").for_ms == 4000);
    CHECK_FALSE(find(st, "down").in_service);
    CHECK_THAT(find(st, "down").why, Catch::Contains("refused"));
    CHECK(find(st, "down").checks_failed == 3);
    CHECK_FALSE(find(st, "ejected").in_service);
    CHECK_THAT(find(st, "ejected").why, Catch::Contains("timeout"));
    CHECK_THAT(find(st, "ejected").why, Catch::Contains("back in 26 s"));
    CHECK(find(st, "ramping").in_service);
    CHECK(find(st, "ramping").weight_percent == 25);
    CHECK(std::string(find(st, "off").state) == "disabled");
    CHECK_FALSE(find(st, "off").in_service);
    CHECK(std::string(find(st, "drain").state) == "draining");
    CHECK_FALSE(find(st, "drain").in_service);
    // Not judged yet: in service on the operator's word.
    CHECK(find(st, "new").in_service);
    CHECK_THAT(find(st, "new").why, Catch::Contains("no check result yet"));
    // A cell left by a previous occupant of the slot (another generation) is not this backend's.
    hb.cell(bs[6].slot).generation.store(bs[6].generation + 1);
    hb.cell(bs[6].slot).state.store(std::uint8_t(health_state::down));
    CHECK(describe_health(&hb, bs, 5000)[6].in_service);
    // No checker at all.
    auto none = describe_health(nullptr, bs, 5000);
    CHECK(none[1].in_service);
    CHECK_THAT(none[1].why, Catch::Contains("health checks off"));
}

TEST_CASE_METHOD(fixture,
                 "health series: one state per backend, counters by result, a histogram in seconds",
                 "[health]") {
    set_cell(hb, bs[1], health_state::down, std::uint8_t(check_result::refused));
    hb.record_duration(bs[0].slot, 700);      // 0.0007 s
    hb.record_duration(bs[0].slot, 3000000);  // 3 s
    hb.panic.set(1);
    std::string out;
    render_health_metrics(out, hb, snap.get(), backend_page{});
    CHECK_THAT(out, Catch::Contains("edge_health_panic 1\n"));
    CHECK_THAT(out, Catch::Contains("edge_backend_in_service{backend=\"down\"} 0\n"));
    CHECK_THAT(out, Catch::Contains("edge_backend_in_service{backend=\"up\"} 1\n"));
    CHECK_THAT(out,
               Catch::Contains("edge_backend_health_state{backend=\"down\",state=\"down\"} 1\n"));
    CHECK_THAT(out,
               Catch::Contains("edge_backend_health_state{backend=\"down\",state=\"up\"} 0\n"));
    CHECK_THAT(out, Catch::Contains("edge_backend_health_check_duration_seconds_bucket{backend="
                                    "\"up\",le=\"0.001\"} 1\n"));
    CHECK_THAT(out, Catch::Contains("edge_backend_health_check_duration_seconds_bucket{backend="
                                    "\"up\",le=\"+Inf\"} 2\n"));
    CHECK_THAT(out, Catch::Contains("edge_backend_health_check_duration_seconds_sum{backend="
                                    "\"up\"} 3.0007\n"));
    // A page: only its backends, and no process-wide series.
    std::string page;
    render_health_metrics(page, hb, snap.get(), backend_page{2, 1, true});
    CHECK_THAT(page, Catch::Contains("backend=\"ejected\""));
    CHECK_THAT(page, !Catch::Contains("backend=\"up\""));
    CHECK_THAT(page, !Catch::Contains("edge_health_panic"));
}
