// End to end, the `edgectl sync` process against a real etcd (issue 16): a restart — after
// SIGTERM or SIGKILL — resumes from the revision stored in routing.db (no rewrite when nothing
// changed, a batch when something did); a compaction past that revision while it was down forces a
// full snapshot; a different, empty cluster never empties the file; garbage values, wrong JSON
// types and out-of-range numbers are rejected per key while the rest is applied; TLS and
// user/password; drain, check, send-proxy and wg peers written with --etcd reach the file, and
// invalid values are refused without a write. Exits 77 without etcd/etcdctl.

#define CATCH_CONFIG_RUNNER
#include <sys/stat.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "tests/support/etcd_cluster.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

void ok(const std::pair<int, std::string>& r) {
    INFO(r.second);
    REQUIRE(r.first == 0);
}

std::vector<std::string> add(const std::string& id, std::uint16_t port) {
    return {"backend", "add",       id,       "--region",          "eu",
            "--ip",    "127.0.0.1", "--port", std::to_string(port)};
}

// Backends the proxy's own loader finds in `db` (through `edgectl check`), -1 if unreadable.
int loaded_backends(const std::string& db) {
    auto [rc, out] = run_command({edgectl_bin(), "check", db});
    std::smatch m;
    if (!std::regex_search(out, m, std::regex(": ([0-9]+) backends loaded"))) return -1;
    return std::stoi(m[1]);
}

struct file_id {
    ino_t ino;
    std::int64_t mtime_ns;
    bool operator==(const file_id&) const = default;
};
file_id identity(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return {st.st_ino, st.st_mtim.tv_sec * 1'000'000'000ll + st.st_mtim.tv_nsec};
}

const std::vector<std::string> fast = {"--probe-interval", "200ms", "--debounce", "10ms"};

}  // namespace

TEST_CASE(
    "a restart resumes from the stored revision; a compaction while down forces a full "
    "snapshot; another, empty cluster never empties the file",
    "[etcd][sync]") {
    temp_dir dir;
    std::string db = dir.file("routing.db");
    {
        etcd_cluster etcd(dir, 1);
        ok(edgectl_etcd(etcd, add("a", 1001)));
        ok(edgectl_etcd(etcd, add("b", 1002)));
        std::int64_t rev = etcd.revision();
        {
            sync_process sync(dir, "sync-1", etcd.endpoints(), db, fast);
            REQUIRE(until([&] { return sync.metric("edge_sync_revision") == rev; }, 5s));
            CHECK(sync.stop() == 0);
        }
        CHECK(loaded_backends(db) == 2);

        // Nothing changed: the restart resumes the watch and writes nothing.
        file_id before = identity(db);
        {
            sync_process sync(dir, "sync-2", etcd.endpoints(), db, fast);
            REQUIRE(sync.process().wait_for_output("resuming the watch from there", 5s));
            REQUIRE(until([&] { return sync.metric("edge_sync_staleness_seconds") < 0.5; }, 5s));
            std::this_thread::sleep_for(500ms);
            CHECK(sync.metric("edge_sync_full_syncs_total") == 0);
            CHECK(sync.metric("edge_sync_batches_total") == 0);
            CHECK(sync.stop() == 0);
        }
        CHECK(identity(db) == before);

        // Killed (SIGKILL, mid-watch) and changed while it was down: the restart resumes from
        // the revision its last write stored and replays the change as one batch.
        {
            sync_process sync(dir, "sync-2b", etcd.endpoints(), db, fast);
            REQUIRE(sync.process().wait_for_output("resuming the watch from there", 5s));
            sync.kill();
        }
        ok(edgectl_etcd(etcd, add("c", 1003)));
        {
            sync_process sync(dir, "sync-3", etcd.endpoints(), db, fast);
            REQUIRE(
                until([&] { return sync.metric("edge_sync_revision") == etcd.revision(); }, 5s));
            CHECK(sync.metric("edge_sync_full_syncs_total") == 0);
            CHECK(sync.metric("edge_sync_batches_total") == 1);
            CHECK(sync.stop() == 0);
        }
        CHECK(loaded_backends(db) == 3);

        // Changed and compacted past the file's revision while it was down: a full snapshot.
        ok(edgectl_etcd(etcd, add("d", 1004)));
        ok(edgectl_etcd(etcd, {"backend", "remove", "a"}));
        ok(etcd.etcdctl({"compact", std::to_string(etcd.revision())}));
        {
            sync_process sync(dir, "sync-4", etcd.endpoints(), db, fast);
            REQUIRE(sync.process().wait_for_output("compacted past revision", 5s));
            REQUIRE(until([&] { return sync.metric("edge_sync_full_syncs_total") == 1; }, 5s));
            CHECK(sync.metric("edge_sync_revision") == etcd.revision());
            CHECK(sync.stop() == 0);
        }
        CHECK(loaded_backends(db) == 3);  // b, c, d
        for (int i = 0; i < etcd.size(); ++i)
            etcd.stop(i, true);
    }
    // A new cluster (a restored or mistaken one) with nothing under the prefix: the sync sees
    // another cluster id, takes a snapshot, and refuses to empty a file that has backends.
    temp_dir other;
    etcd_cluster fresh(other, 1);
    sync_process sync(dir, "sync-5", fresh.endpoints(), db, fast);
    REQUIRE(until([&] { return sync.metric("edge_sync_refused_empty_total") >= 1; }, 10s));
    CHECK(sync.output().find("is not the one routing.db was synced from") != std::string::npos);
    CHECK(loaded_backends(db) == 3);
}

TEST_CASE(
    "garbage, wrong JSON types and out-of-range numbers are rejected per key; the rest is "
    "applied",
    "[etcd][sync]") {
    temp_dir dir;
    etcd_cluster etcd(dir, 1);
    test_backend g1(test_backend::mode::banner, "g1"), g2(test_backend::mode::banner, "g2");
    auto put = [&](const std::string& key, const std::string& value) {
        ok(etcd.etcdctl({"put", "/edgeproxy/v1/" + key, value}));
    };
    auto valid = [](const test_backend& b) {
        return R"({"region":"eu","wg_ip":"127.0.0.1","port":)" + std::to_string(b.port()) + "}";
    };
    // Before the sync starts (its snapshot) …
    put("backends/g1", valid(g1));
    put("backends/notjson", "{not json");
    put("backends/wrongtype", R"({"region":"eu","wg_ip":"127.0.0.1","port":"80"})");
    put("backends/outofrange", R"({"region":"eu","wg_ip":"127.0.0.1","port":70000})");
    put("backends/negative", R"({"region":"eu","wg_ip":"127.0.0.1","port":80,"weight":-3})");
    put("wg_peers/notakey", R"({"allowed_ips":"10.0.0.0/8"})");
    put("stray/key", "{}");
    std::string db = dir.file("routing.db");
    sync_process sync(dir, "sync", etcd.endpoints(), db, fast);
    REQUIRE(until([&] { return std::filesystem::exists(db); }, 5s));
    proxy_process proxy(dir,
                        proxy_options{db, 1, {"--binding-ttl", "0", "--reload-interval", "100ms"}});
    // … and after (its watch).
    put("backends/g2", valid(g2));
    put("backends/huge",
        R"({"region":"eu","wg_ip":"127.0.0.1","port":80,"hard_limit":99999999999})");
    put("backends/ctl\nid", valid(g2));
    put("health_checks/g1", R"({"kind":"icmp"})");
    put("health_checks/g2", R"({"kind":"send_expect","send":"PING\\r\\n","expect":"+PONG"})");
    put("send_proxy/g1", R"({"version":3})");
    put("country_regions/XYZ", R"({"region":"eu"})");
    put("wg_peers/xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
        R"({"allowed_ips":["10.9.0.0/16"],"persistent_keepalive":25})");
    put("backends/g1", "garbage after a good value");  // g1 keeps its good row

    REQUIRE(until([&] { return sync.metric("edge_sync_revision") == etcd.revision(); }, 5s));
    CHECK(sync.metric("edge_sync_rejected_values_total") == 11);  // 5 + 6 bad values
    CHECK(sync.metric("edge_sync_ignored_keys_total") == 1);
    std::string log = sync.output();
    for (const char* key : {"backends/notjson: value is not JSON",
                            "backends/wrongtype: port must be an integer, not string",
                            "backends/outofrange: port 70000 is outside 1-65535",
                            "backends/negative: weight -3 is negative",
                            "backends/huge: hard_limit 99999999999 is larger than 4294967295",
                            "backends/ctl\\nid: id contains a control character (newline)",
                            "wg_peers/notakey: public_key 'notakey' is not a 32-byte key",
                            "health_checks/g1: kind 'icmp' is not tcp, send_expect or http",
                            "send_proxy/g1: version must be 1 or 2",
                            "country_regions/XYZ: country is not a two-letter code",
                            "backends/g1: value is not JSON"})
        CHECK(log.find(std::string("rejected etcd key /edgeproxy/v1/") + key) != std::string::npos);
    // The valid rows made it, and nothing invalid was written.
    auto [rc, check] = run_command({edgectl_bin(), "check", db});
    INFO(check);
    CHECK(rc == 0);
    CHECK(check.find("2 backends loaded") != std::string::npos);
    CHECK(check.find("1 wg peers, 1 health check settings") != std::string::npos);
    std::set<std::string> reached;
    REQUIRE(until(
        [&] {
            for (int i = 0; i < 10; ++i)
                reached.insert(first_line_through(proxy.port()));
            return reached.count("g1") && reached.count("g2");
        },
        5s));
    CHECK(reached.count("") == 0);
}

TEST_CASE("TLS and user/password: edgectl and the sync reach a secured etcd", "[etcd][sync]") {
    temp_dir dir;
    // A CA and a server certificate for 127.0.0.1 (EC keys: quick to make).
    std::string script = fmt::format(
        "set -e; cd {};"
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout ca.key -out ca.pem -days 2 -subj /CN=edge-test-ca 2>/dev/null;"
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key "
        "-out server.csr -subj /CN=127.0.0.1 2>/dev/null;"
        "printf 'subjectAltName=IP:127.0.0.1' > ext;"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 2 -extfile ext 2>/dev/null",
        dir.path().string());
    auto [made, why] = run_command({"sh", "-c", script});
    INFO(why);
    REQUIRE(made == 0);
    etcd_cluster etcd(dir, 1,
                      etcd_tls{dir.file("ca.pem"), dir.file("server.pem"), dir.file("server.key")});
    ok(etcd.etcdctl({"user", "add", "root", "--new-user-password", "s3cret"}));
    ok(etcd.etcdctl({"auth", "enable"}));
    std::ofstream(dir.file("password")) << "s3cret\n";
    std::vector<std::string> secure = {"--cacert", dir.file("ca.pem"), "--user",
                                       "root",     "--password-file",  dir.file("password")};
    auto refused = edgectl_etcd(etcd, add("a", 1001), {"--cacert", dir.file("ca.pem")});
    CHECK(refused.first == 1);
    ok(edgectl_etcd(etcd, add("a", 1001), secure));
    std::string db = dir.file("routing.db");
    std::vector<std::string> flags = fast;
    flags.insert(flags.end(), secure.begin(), secure.end());
    sync_process sync(dir, "sync", etcd.endpoints(), db, flags);
    REQUIRE(until([&] { return loaded_backends(db) == 1; }, 5s));
    ok(edgectl_etcd(etcd, add("b", 1002), secure));
    REQUIRE(until([&] { return loaded_backends(db) == 2; }, 5s));
}

TEST_CASE(
    "drain, check, send-proxy and wg peers written with --etcd reach the synced file; invalid "
    "values are refused and write nothing",
    "[etcd][sync]") {
    temp_dir dir;
    etcd_cluster etcd(dir, 1);
    std::string db = dir.file("routing.db");
    // One cell or column of routing.db, as sqlite3 prints it ("" when unreadable).
    auto sql = [&](const std::string& query) {
        auto [rc, out] = run_command({"sqlite3", db, query});
        return rc == 0 ? out : std::string();
    };
    auto reaches = [&](const std::string& query, const std::string& expected) {
        std::string last;
        bool ok = until([&] { return (last = sql(query)) == expected; }, 5s).has_value();
        INFO(query << " gave '" << last << "', expected '" << expected << "'");
        CHECK(ok);
    };
    ok(edgectl_etcd(etcd, add("a", 1001)));
    sync_process sync(dir, "sync", etcd.endpoints(), db, fast);
    reaches("SELECT id FROM backends WHERE deleted = 0", "a\n");

    ok(edgectl_etcd(etcd, {"backend", "drain", "a"}));
    reaches("SELECT id FROM draining", "a\n");
    ok(edgectl_etcd(etcd, {"backend", "check", "a", "--interval", "1s"}));
    reaches("SELECT id, interval_ms FROM health_checks", "a|1000\n");
    ok(edgectl_etcd(etcd, {"backend", "send-proxy", "a", "v2"}));
    reaches("SELECT id, version FROM send_proxy", "a|2\n");

    const std::string key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    ok(edgectl_etcd(etcd, {"wg", "peer", "add", key, "--allowed-ips", "10.9.0.0/16"}));
    reaches("SELECT public_key, allowed_ips FROM wg_peers", key + "|10.9.0.0/16\n");
    auto listed = edgectl_etcd(etcd, {"wg", "peer", "list"});
    ok(listed);
    CHECK(listed.second.find(key) != std::string::npos);
    {
        auto [rc, out] = run_command({edgectl_bin(), "wg", "peer", "list", db});
        INFO(out);
        CHECK(rc == 0);
        CHECK(out.find(key) != std::string::npos);
    }
    ok(edgectl_etcd(etcd, {"wg", "peer", "remove", key}));
    reaches("SELECT count(*) FROM wg_peers", "0\n");
    CHECK(edgectl_etcd(etcd, {"wg", "peer", "list"}).second.find(key) == std::string::npos);

    // Refused before anything reaches etcd (an id with a control character, ports out of range,
    // an unknown PROXY version, a malformed key; a space in an id is allowed, as in a file): the
    // revision does not move, no key appears, and the synced file keeps its rows.
    REQUIRE(until([&] { return sync.metric("edge_sync_revision") == etcd.revision(); }, 5s));
    std::int64_t rev = etcd.revision();
    std::string backends = sql("SELECT id, port FROM backends ORDER BY id");
    for (const auto& bad :
         {add("ctl\nid", 1002),
          std::vector<std::string>{"backend", "add", "b", "--region", "eu", "--ip", "127.0.0.1",
                                   "--port", "70000"},
          add("c", 0), std::vector<std::string>{"backend", "send-proxy", "a", "v3"},
          std::vector<std::string>{"wg", "peer", "add", "notakey"}}) {
        auto r = edgectl_etcd(etcd, bad);
        INFO(r.second);
        CHECK(r.first != 0);
    }
    CHECK(etcd.revision() == rev);
    auto [rc, keys] = etcd.etcdctl({"get", "--prefix", "--keys-only", "/edgeproxy/v1/"});
    INFO(keys);
    CHECK(rc == 0);
    for (const char* k : {"backends/ctl", "backends/b", "backends/c"})
        CHECK(keys.find(k) == std::string::npos);
    std::this_thread::sleep_for(300ms);
    CHECK(sql("SELECT id, port FROM backends ORDER BY id") == backends);
    CHECK(sql("SELECT id, version FROM send_proxy") == "a|2\n");
    CHECK(sync.metric("edge_sync_revision") == rev);
}

int main(int argc, char** argv) {
    if (!etcd_available()) {
        std::puts("SKIP: etcd and etcdctl are not installed (tools/install_deps test)");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
