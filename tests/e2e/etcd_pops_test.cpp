// End to end, many POPs (issue 16): a real 3-member etcd cluster started by the test, and two POPs
// — each an edgeproxy with its own `--region`, its own `edgectl sync` and its own routing.db.
// Edits made with `edgectl --etcd` change where both POPs send clients within 2 s; the leader
// killed mid-run does not stop syncing; without quorum, and with every member down, both POPs
// keep serving their last data while their staleness grows and is reported; when the cluster
// comes back they catch up without a restart. Exits 77 without etcd/etcdctl.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "tests/support/etcd_cluster.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

// One POP: its sync process writes its routing.db; its proxy reads it.
struct pop {
    pop(const temp_dir& dir, const std::string& region, const etcd_cluster& etcd)
        : db(dir.file(region + ".db")),
          sync(dir, "sync-" + region, etcd.endpoints(), db,
               {"--probe-interval", "200ms", "--max-age", "2s", "--debounce", "10ms"}) {
        // The proxy starts on the file the sync wrote (it would also pick it up later).
        REQUIRE(until([&] { return std::filesystem::exists(db); }, 10s));
        proxy.emplace(
            own,
            proxy_options{
                db, 1, {"--region", region, "--binding-ttl", "0", "--reload-interval", "100ms"}});
    }
    std::string db;
    sync_process sync;
    temp_dir own;  // the proxy's own files: its control socket is per directory
    std::optional<proxy_process> proxy;

    // The next `n` clients all reach `name`.
    bool all_to(const std::string& name, int n = 10) {
        for (int i = 0; i < n; ++i)
            if (first_line_through(proxy->port()) != name) return false;
        return true;
    }
    // Of the next `n` clients, how many reach `name`.
    int count_to(const std::string& name, int n) {
        int hits = 0;
        for (int i = 0; i < n; ++i)
            hits += first_line_through(proxy->port()) == name;
        return hits;
    }
    double staleness() { return sync.metric("edge_sync_staleness_seconds").value_or(-1); }
};

void ok(const std::pair<int, std::string>& r) {
    INFO(r.second);
    REQUIRE(r.first == 0);
}

std::vector<std::string> add(const std::string& id, const test_backend& b, int weight = 1) {
    return {"backend",
            "add",
            id,
            "--region",
            "eu",
            "--ip",
            "127.0.0.1",
            "--port",
            std::to_string(b.port()),
            "--weight",
            std::to_string(weight)};
}

// A 3-member cluster, two banner backends with the first added through etcd, and two POPs (eu,
// us) whose clients all reach it.
struct two_pops {
    two_pops(const char* first, const char* second)
        : one(test_backend::mode::banner, first), two(test_backend::mode::banner, second) {
        ok(edgectl_etcd(etcd, add(first, one)));
        eu.emplace(dir, "eu", etcd);
        us.emplace(dir, "us", etcd);
        REQUIRE(until([&] { return all_to(first); }, 5s));
    }
    // The next clients of both POPs all reach `name`.
    bool all_to(const std::string& name) { return eu->all_to(name) && us->all_to(name); }

    temp_dir dir;
    etcd_cluster etcd{dir, 3};
    test_backend one, two;
    std::optional<pop> eu, us;
};

// An edit retried while the cluster elects a leader (edgectl fails over between members, but a
// member without a leader has nothing to fail over to for a moment).
void ok_eventually(const etcd_cluster& etcd, const std::vector<std::string>& args) {
    std::pair<int, std::string> r;
    REQUIRE(until([&] { return (r = edgectl_etcd(etcd, args)).first == 0; }, 15s));
}

}  // namespace

TEST_CASE(
    "backends added, disabled, re-weighted and removed through etcd move both POPs' "
    "clients within 2 s",
    "[etcd]") {
    two_pops t("b1", "b2");
    etcd_cluster& etcd = t.etcd;
    pop &eu = *t.eu, &us = *t.us;

    // Added and disabled: every client to b2.
    ok(edgectl_etcd(etcd, add("b2", t.two)));
    ok(edgectl_etcd(etcd, {"backend", "disable", "b1"}));
    auto took = until([&] { return t.all_to("b2"); }, 5s);
    REQUIRE(took);
    CHECK(*took < 2s);

    // Re-weighted: b1 back at weight 49 against b2's 1 takes about 49 clients in 50.
    ok(edgectl_etcd(etcd, {"backend", "enable", "b1"}));
    ok(edgectl_etcd(etcd, {"backend", "set", "b1", "--weight", "49"}));
    took = until([&] { return eu.count_to("b1", 20) >= 18 && us.count_to("b1", 20) >= 18; }, 5s);
    REQUIRE(took);
    CHECK(*took < 2s);

    // Removed: b2 alone again.
    ok(edgectl_etcd(etcd, {"backend", "remove", "b1"}));
    took = until([&] { return t.all_to("b2"); }, 5s);
    REQUIRE(took);
    CHECK(*took < 2s);

    int status = 0;
    CHECK(eu.sync.http("/healthz", &status).rfind("ok", 0) == 0);
    CHECK(status == 200);
    CHECK(us.staleness() < 2.0);
    CHECK(eu.sync.metric("edge_sync_full_syncs_total") == 1);  // the first snapshot only
    CHECK(eu.sync.metric("edge_sync_revision") == etcd.revision());
}

TEST_CASE(
    "the leader killed, quorum lost, every member down: both POPs serve their last data, "
    "report staleness, and catch up when the cluster is back",
    "[etcd]") {
    two_pops t("a", "b");
    etcd_cluster& etcd = t.etcd;
    pop &eu = *t.eu, &us = *t.us;

    // The leader killed mid-run: the others elect a new one and syncing continues.
    int leader = etcd.leader();
    REQUIRE(leader >= 0);
    std::size_t mark = eu.sync.output().size();
    etcd.stop(leader);
    ok_eventually(etcd, add("b", t.two));
    ok_eventually(etcd, {"backend", "disable", "a"});
    REQUIRE(until([&] { return t.all_to("b"); }, 10s));
    if (leader == 0) {
        // The watch was on member 0 (the first endpoint): it reopens on member 1 and never
        // starts at the dead member 0 again (the sync remembers where fail-over left it).
        std::string after = eu.sync.output().substr(mark);
        INFO(after);
        CHECK(after.find("(trying " + etcd.endpoint(1) + " first)") != std::string::npos);
        CHECK(after.find("(trying " + etcd.endpoint(0) + " first)") == std::string::npos);
    }

    // Two of three stopped: no quorum. The probes fail, staleness grows past the max age.
    int second = leader == 0 ? 1 : 0;
    etcd.stop(second);
    REQUIRE(until([&] { return eu.staleness() > 2.5 && us.staleness() > 2.5; }, 10s));
    int status = 0;
    CHECK(eu.sync.http("/healthz", &status).rfind("stale", 0) == 0);
    CHECK(status == 503);
    CHECK(eu.sync.metric("edge_sync_stale") == 1);
    CHECK(eu.all_to("b"));  // serving with the last data
    CHECK(us.all_to("b"));

    // Every member stopped.
    for (int i = 0; i < etcd.size(); ++i)
        etcd.stop(i);
    double before = us.staleness();
    std::this_thread::sleep_for(1s);
    CHECK(us.staleness() > before + 0.5);
    CHECK(eu.all_to("b"));
    CHECK(us.all_to("b"));
    CHECK(eu.sync.process().running());
    CHECK(us.sync.process().running());

    // The cluster back: an edit made now reaches both POPs, which never restarted.
    for (int i = 0; i < etcd.size(); ++i)
        etcd.start(i);
    REQUIRE(etcd.wait_healthy());
    ok_eventually(etcd, {"backend", "enable", "a"});
    ok_eventually(etcd, {"backend", "remove", "b"});
    REQUIRE(until([&] { return t.all_to("a"); }, 20s));
    REQUIRE(until([&] { return eu.staleness() < 2 && us.staleness() < 2; }, 10s));
    CHECK(eu.sync.http("/healthz", &status).rfind("ok", 0) == 0);
    CHECK(eu.sync.metric("edge_sync_full_syncs_total") == 1);  // caught up by the watch
    CHECK(eu.sync.output().find("routing.db is stale") != std::string::npos);
    CHECK(eu.sync.output().find("current again") != std::string::npos);
}

int main(int argc, char** argv) {
    if (!etcd_available()) {
        std::puts("SKIP: etcd and etcdctl are not installed (tools/install_deps test)");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
