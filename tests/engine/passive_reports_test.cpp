// Passive reports (engine/host/passive_reports): the workers' shared failure counts per backend,
// and the report that reaches the checker's ring by MSG_RING exactly at the threshold (and every
// threshold failures after, while nothing resets the count). Two real rings on this thread.
// Exits 77 (skipped) where io_uring is unavailable.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "engine/host/passive_reports.hpp"
#include "engine/uring/ring.hpp"
#include "tests/engine/ring_test_main.hpp"

using namespace edge::engine;

namespace {

ring_features g_features;

std::vector<completion> drain(ring& r) {
    (void)r.submit();
    std::vector<completion> got;
    completion batch[16];
    for (int spin = 0; spin < 50; ++spin) {
        (void)r.submit_and_wait(10);
        unsigned n = r.reap(batch);
        got.insert(got.end(), batch, batch + n);
        if (n == 0 && !got.empty()) break;
    }
    return got;
}

}  // namespace

TEST_CASE("a report reaches the checker's ring at the threshold, not before", "[health]") {
    auto worker = ring::create(ring::options{64, 256}, g_features);
    auto checker = ring::create(ring::options{64, 256}, g_features);
    REQUIRE(worker);
    REQUIRE(checker);
    passive_reports p(16, 5);
    p.attach(checker->fd());
    const std::uint64_t local = 0xfeed;
    for (int i = 0; i < 4; ++i)
        p.on_failure(*worker, local, 3, 77, passive_failure::refused);
    (void)worker->submit();
    CHECK(p.failures(3) == 4);
    completion c[4];
    (void)checker->submit_and_wait(20);
    CHECK(checker->reap(c) == 0);  // nothing yet
    p.on_failure(*worker, local, 3, 77, passive_failure::timeout);
    (void)worker->submit();
    auto got = drain(*checker);
    REQUIRE(got.size() == 1);
    op_tag t = op_tag::decode(got[0].user_data);
    CHECK(t.family == health_family);
    CHECK(t.op == passive_report_op);
    CHECK(t.slot == 3);
    CHECK(t.gen == 77);
    CHECK(got[0].res == int(passive_failure::timeout));
    // The worker's own ring gets nothing on success (CQE_SKIP_SUCCESS).
    completion w[4];
    (void)worker->submit_and_wait(10);
    CHECK(worker->reap(w) == 0);
    // Four more: none; the tenth in a row (nothing reset the count): a second report.
    for (int i = 0; i < 4; ++i)
        p.on_failure(*worker, local, 3, 77, passive_failure::refused);
    (void)worker->submit();
    (void)checker->submit_and_wait(20);
    CHECK(checker->reap(c) == 0);
    p.on_failure(*worker, local, 3, 77, passive_failure::refused);
    (void)worker->submit();
    CHECK(drain(*checker).size() == 1);
}

TEST_CASE("a successful connect starts the count again; the checker's reset too", "[health]") {
    auto worker = ring::create(ring::options{64, 256}, g_features);
    auto checker = ring::create(ring::options{64, 256}, g_features);
    REQUIRE(worker);
    REQUIRE(checker);
    passive_reports p(16, 3);
    p.attach(checker->fd());
    for (int round = 0; round < 10; ++round) {
        p.on_failure(*worker, 0, 1, 1, passive_failure::reset);
        p.on_failure(*worker, 0, 1, 1, passive_failure::reset);
        p.on_success(1);
    }
    CHECK(p.failures(1) == 0);
    p.on_failure(*worker, 0, 2, 1, passive_failure::reset);
    p.reset(2);
    CHECK(p.failures(2) == 0);
    (void)worker->submit();
    completion c[4];
    (void)checker->submit_and_wait(20);
    CHECK(checker->reap(c) == 0);
}

TEST_CASE("no checker attached, no threshold, or a slot out of range: nothing is sent",
          "[health]") {
    auto worker = ring::create(ring::options{64, 256}, g_features);
    REQUIRE(worker);
    passive_reports detached(4, 1);
    detached.on_failure(*worker, 0, 0, 1, passive_failure::refused);  // counted, not sent
    CHECK(detached.failures(0) == 1);
    passive_reports off(4, 0);
    off.on_failure(*worker, 0, 0, 1, passive_failure::refused);
    CHECK(off.failures(0) == 0);
    detached.on_failure(*worker, 0, 99, 1, passive_failure::refused);
    detached.on_success(99);
    CHECK(detached.failures(99) == 0);
    (void)worker->submit();
    completion c[4];
    (void)worker->submit_and_wait(10);
    CHECK(worker->reap(c) == 0);
}

int main(int argc, char** argv) {
    return edge::engine::test::run_with_io_uring(argc, argv, g_features);
}
