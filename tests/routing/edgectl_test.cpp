// edgectl's routing.db commands, run as the built binary against real files, and checked through
// the proxy's own loader. Needs $EDGECTL_BIN (set by meson) and the sqlite3 CLI: without them
// this executable exits 77 (SKIP).

#define CATCH_CONFIG_RUNNER
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "routing/address.hpp"
#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/watcher.hpp"
#include "tests/routing/test_support.hpp"

using namespace edge::routing;
using namespace edge::routing::test;

namespace {

std::string edgectl_bin;

process_result edgectl(std::vector<std::string> args) {
    args.insert(args.begin(), edgectl_bin);
    return run_process(args);
}

// Runs edgectl and requires exit code `want`; returns its output.
process_result expect(int want, std::vector<std::string> args) {
    auto r = edgectl(args);
    INFO("edgectl " << fmt::format("{}", fmt::join(args, " ")) << "\nstdout: " << r.out
                    << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == want);
    return r;
}

load_result load(const std::string& db) {
    backend_registry reg;
    load_options o;
    o.db_path = db;
    o.pop_region = *edge::geo::region_code::parse("sa");
    auto r = load_snapshot(o, reg);
    if (!r) FAIL("load failed: " << r.error().detail);
    return std::move(*r);
}

const backend* find(const load_result& r, const std::string& id) {
    for (const auto& b : r.snap->backends)
        if (b.id == id) return &b;
    return nullptr;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("init creates the schema; again is a no-op", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    auto r = expect(0, {"init", db});
    CHECK(contains(r.out, "created table backends"));
    CHECK(contains(r.out, "created table country_regions"));
    CHECK(contains(r.out, "created table draining"));
    CHECK(contains(expect(0, {"init", db}).out, "already initialised"));
    auto l = load(db);
    CHECK(l.snap->backends.empty());
    CHECK(contains(expect(0, {"check", db}).out, "0 backends loaded"));
}

TEST_CASE("init adds the country column to an edgeProxy database", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(false) + insert_backend("old", "us", "10.0.0.1", 80, false));
    CHECK(contains(expect(0, {"init", db}).out, "added column backends.country"));
    expect(0, {"backend", "set", db, "old", "--country", "us"});
    auto l = load(db);
    REQUIRE(find(l, "old"));
    CHECK(find(l, "old")->country.str() == "US");
}

TEST_CASE("backend add: what the proxy loads", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    expect(0, {"backend",   "add",          db,         "br-1",   "--region",
               "SA",        "--ip",         "10.1.2.3", "--port", "8080",
               "--country", "br",           "--weight", "3",      "--soft-limit",
               "50",        "--hard-limit", "200",      "--app",  "web"});
    expect(0, {"backend", "add", db, "v6", "--region", "eu", "--ip", "fd00::7", "--port=443",
               "--unhealthy"});
    expect(0, {"backend", "add", db, "named", "--region", "us", "--ip", "localhost", "--port",
               "9000"});
    auto l = load(db);
    REQUIRE(l.rejected.empty());
    REQUIRE(l.snap->backends.size() == 3);
    const backend* b = find(l, "br-1");
    CHECK(b->region.str() == "sa");
    CHECK(b->country.str() == "BR");
    CHECK(b->app == "web");
    CHECK(to_string(b->address) == "10.1.2.3:8080");
    CHECK(b->weight == 3);
    CHECK(b->soft_limit == 50);
    CHECK(b->hard_limit == 200);
    CHECK(b->healthy);
    CHECK_FALSE(find(l, "v6")->healthy);
    CHECK(to_string(find(l, "v6")->address) == "[fd00::7]:443");
    // Stored normalised, for edgeProxy's exact comparisons too.
    auto raw = run_process({"sqlite3", db, "SELECT region, country FROM backends WHERE id='br-1'"});
    CHECK(raw.out == "sa|BR\n");
}

TEST_CASE("backend add: bad input is refused with exit 2 and nothing written", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    struct bad {
        std::vector<std::string> extra;
        const char* message;
    };
    for (const auto& [extra, message] : {
             bad{{"--region", "sa", "--ip", "10.0.0.1", "--port", "70000"},
                 "port 70000 is outside 1-65535"},
             bad{{"--region", "sa", "--ip", "10.0.0.1", "--port", "http"},
                 "port 'http' is not an integer"},
             bad{{"--region", "sa", "--ip", "10.0.0.1", "--port", "80", "--weight", "-2"},
                 "weight -2 is negative"},
             bad{{"--region", "sa", "--ip", "10.0.0.300", "--port", "80"},
                 "wg_ip '10.0.0.300' is not an IP address or host name"},
             bad{{"--region", "sa", "--ip", "nowhere.invalid", "--port", "80"}, "does not resolve"},
             bad{{"--region", "a-very-long-region", "--ip", "10.0.0.1", "--port", "80"},
                 "longer than 15 bytes"},
             bad{{"--region", "sa", "--ip", "10.0.0.1", "--port", "80", "--country", "BRA"},
                 "not a two-letter code"},
             bad{{"--region", "sa", "--ip", "10.0.0.1"}, "needs --port"},
             bad{{"--region", "sa", "--ip", "10.0.0.1", "--port", "80", "--colour", "red"},
                 "unknown option --colour"},
         }) {
        std::vector<std::string> args = {"backend", "add", db, "x"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = expect(2, args);
        CHECK(contains(r.err, message));
    }
    CHECK(load(db).rows_read == 0);
    // --no-resolve takes a well-formed host name without asking DNS.
    expect(0, {"backend", "add", db, "later", "--region", "sa", "--ip", "later.invalid", "--port",
               "80", "--no-resolve"});
    auto l = load(db);
    REQUIRE(l.rejected.size() == 1);  // the proxy itself still needs it to resolve
    CHECK(l.rejected[0].id == "later");
}

TEST_CASE("a mistyped command or subcommand names the one it is nearest to", "[edgectl]") {
    CHECK(
        contains(expect(2, {"backnd"}).err, "unknown command 'backnd' (did you mean 'backend'?)"));
    CHECK(contains(expect(2, {"chek", "x.db"}).err, "(did you mean 'check'?)"));
    CHECK(contains(expect(2, {"backend", "disabel", "x.db", "a"}).err,
                   "unknown backend subcommand 'disabel' (did you mean 'disable'?)"));
    CHECK(contains(expect(2, {"geo", "lokup"}).err, "(did you mean 'lookup'?)"));
    CHECK(contains(expect(2, {"wg", "pubkye"}).err, "(did you mean 'pubkey'?)"));
    // Nothing close: no guess, just the usage.
    auto far = expect(2, {"frobnicate"});
    CHECK(contains(far.err, "unknown command 'frobnicate'\n"));
    CHECK_FALSE(contains(far.err, "did you mean"));
}

TEST_CASE("backend add twice fails; set changes fields; unknown ids fail", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    expect(0, {"backend", "add", db, "a", "--region", "sa", "--ip", "10.0.0.1", "--port", "80"});
    CHECK(contains(
        expect(1, {"backend", "add", db, "a", "--region", "us", "--ip", "10.0.0.2", "--port", "81"})
            .err,
        "already exists"));
    expect(0, {"backend", "set", db, "a", "--port", "81", "--hard-limit", "9", "--country", "AR"});
    auto l = load(db);
    CHECK(to_string(find(l, "a")->address) == "10.0.0.1:81");
    CHECK(find(l, "a")->hard_limit == 9);
    CHECK(find(l, "a")->country.str() == "AR");
    expect(0, {"backend", "set", db, "a", "--country", "none"});
    CHECK_FALSE(find(load(db), "a")->country.known());
    CHECK(contains(expect(1, {"backend", "set", db, "zz", "--port", "1"}).err, "no backend 'zz'"));
    CHECK(contains(expect(2, {"backend", "set", db, "a", "--soft-limit", "-1"}).err,
                   "soft_limit -1 is negative"));
    expect(2, {"backend", "set", db, "a"});
    CHECK(find(load(db), "a")->soft_limit == 100);  // the refused set changed nothing
}

TEST_CASE("drain, disable, enable, remove", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    expect(0, {"backend", "add", db, "a", "--region", "sa", "--ip", "10.0.0.1", "--port", "80"});
    expect(0, {"backend", "add", db, "b", "--region", "sa", "--ip", "10.0.0.2", "--port", "80"});

    expect(0, {"backend", "drain", db, "a"});
    auto l = load(db);
    CHECK(find(l, "a")->draining);
    CHECK(find(l, "a")->healthy);
    CHECK(l.snap->candidates.size() == 1);  // no new clients for a

    expect(0, {"backend", "disable", db, "b"});
    l = load(db);
    CHECK_FALSE(find(l, "b")->healthy);
    CHECK(l.snap->candidates.empty());

    expect(0, {"backend", "enable", db, "a"});
    expect(0, {"backend", "enable", db, "b"});
    l = load(db);
    CHECK_FALSE(find(l, "a")->draining);
    CHECK(find(l, "b")->healthy);
    CHECK(l.snap->candidates.size() == 2);

    expect(0, {"backend", "remove", db, "a"});
    l = load(db);
    CHECK(find(l, "a") == nullptr);
    CHECK(l.rows_deleted == 1);
    CHECK(contains(expect(1, {"backend", "remove", db, "a"}).err, "no backend 'a'"));
    CHECK(contains(expect(1, {"backend", "drain", db, "a"}).err, "no backend 'a'"));
    auto list = expect(0, {"backend", "list", db}).out;
    CHECK_FALSE(contains(list, "10.0.0.1"));
    auto all = expect(0, {"backend", "list", db, "--all"}).out;
    CHECK(contains(all, "10.0.0.1"));
    // Adding a removed id brings it back.
    CHECK(contains(
        expect(0, {"backend", "add", db, "a", "--region", "eu", "--ip", "10.0.0.9", "--port", "80"})
            .out,
        "re-added"));
    CHECK(find(load(db), "a")->region.str() == "eu");
}

TEST_CASE("check reports every rejected row and exits 1", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(true) + insert_backend("good", "sa", "10.0.0.1", 80) +
                     insert_backend("badport", "sa", "10.0.0.1", 0) +
                     insert_backend("badip", "sa", "1.2.3", 80) +
                     "INSERT INTO backends (id, app, region, wg_ip, port, healthy, weight, "
                     "soft_limit, hard_limit) VALUES ('nullw', '', 'sa', '10.0.0.1', 80, 1, NULL, "
                     "1, 0);");
    auto r = expect(1, {"check", db});
    CHECK(contains(r.out, "rejected badport: port 0 is outside 1-65535"));
    CHECK(contains(r.out, "rejected badip: wg_ip '1.2.3' is not an IP address or host name"));
    CHECK(contains(r.out, "rejected nullw: weight is NULL"));
    CHECK(contains(r.out, "1 backends loaded"));
    CHECK(contains(r.out, "3 rejected"));
    exec_sql(db, "DELETE FROM backends WHERE id != 'good';");
    expect(0, {"check", db});
}

TEST_CASE("check and the backend commands never create a missing file", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    CHECK(contains(expect(1, {"check", db}).err, "missing"));
    CHECK(contains(expect(1, {"show", db}).err, "missing"));
    CHECK(contains(expect(1, {"backend", "list", db}).err, "does not exist"));
    expect(1, {"backend", "add", db, "a", "--region", "sa", "--ip", "10.0.0.1", "--port", "80"});
    CHECK_FALSE(exists(db));
    write_file(db, std::string(1000, 'q'));
    CHECK(contains(expect(1, {"check", db}).err, "corrupt"));
    expect(1, {"init", db});  // not a database: init refuses to touch it
}

TEST_CASE("show: the backends as the proxy sees them", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    expect(0, {"backend", "add", db, "near", "--region", "sa", "--ip", "localhost", "--port", "80",
               "--country", "BR", "--hard-limit", "5"});
    expect(0, {"backend", "add", db, "far", "--region", "ap", "--ip", "10.0.0.2", "--port", "81"});
    expect(0, {"backend", "drain", db, "far"});
    exec_sql(db, "INSERT INTO country_regions VALUES ('MX', 'sa');");
    auto out = expect(0, {"show", db, "--region", "sa"}).out;
    CHECK((contains(out, "127.0.0.1:80") || contains(out, "[::1]:80")));
    CHECK(contains(out, "draining"));
    CHECK(contains(out, "2 (pop)"));
    CHECK(contains(out, "MX -> sa"));
    expect(2, {"show", db, "--region", "not a region"});
}

TEST_CASE("edits work while the proxy's side holds the database", "[edgectl]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    expect(0, {"backend", "add", db, "a", "--region", "sa", "--ip", "10.0.0.1", "--port", "80"});

    // A WAL-mode writer (a replication tool) keeps the file open; the watcher polls it.
    child_process writer({"sqlite3", "-batch", db});
    writer.write("PRAGMA journal_mode=WAL;\n.print ready\n");
    writer.read_until("ready");
    db_watcher watcher(db);
    backend_registry reg;
    load_options o;
    o.db_path = db;
    REQUIRE(watcher.poll());
    REQUIRE(load_snapshot(o, reg));
    watcher.on_load_succeeded();
    CHECK_FALSE(watcher.poll());

    expect(0, {"backend", "set", db, "a", "--weight", "7"});
    CHECK(watcher.poll());
    auto r = load_snapshot(o, reg);
    REQUIRE(r);
    CHECK(r->snap->backends[0].weight == 7);
    watcher.on_load_succeeded();

    // A writer holding the write lock for a moment: edgectl waits for it instead of failing.
    sqlite3* holder = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &holder) == SQLITE_OK);
    REQUIRE(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    std::thread release([holder] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        sqlite3_exec(holder, "COMMIT", nullptr, nullptr, nullptr);
    });
    auto start = std::chrono::steady_clock::now();
    auto res = edgectl({"backend", "disable", db, "a"});
    auto waited = std::chrono::steady_clock::now() - start;
    release.join();
    sqlite3_close(holder);
    CHECK(res.exit_code == 0);
    CHECK(waited >= std::chrono::milliseconds(250));
    CHECK(watcher.poll());
    r = load_snapshot(o, reg);
    REQUIRE(r);
    CHECK_FALSE(r->snap->backends[0].healthy);
    CHECK(writer.finish() == 0);
}

TEST_CASE("ids with control characters are refused, and whatever a file holds prints on one line",
          "[edgectl][control]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    auto r = expect(2, {"backend", "add", db, "eu-1\nINFO forged line", "--region", "eu", "--ip",
                        "10.0.0.1", "--port", "80"});
    CHECK(contains(r.err, "id contains a control character (newline)"));
    CHECK(load(db).snap->backends.empty());
    // A row put there by hand: rejected by the loader, printed escaped by every command.
    exec_sql(db,
             "INSERT INTO backends (id, region, wg_ip, port) VALUES ('x' || char(10) || "
             "'y', 'eu', '10.0.0.1', 80)");
    auto l = load(db);
    REQUIRE(l.rejected.size() == 1);
    CHECK(l.rejected[0].id == "x\\ny");
    auto list = expect(0, {"backend", "list", db});
    CHECK(contains(list.out, "x\\ny"));
    CHECK_FALSE(contains(list.out, "x\ny"));
    auto check = expect(1, {"check", db});
    CHECK(contains(check.out, "rejected x\\ny: id contains a control character (newline)"));
}

TEST_CASE("wg peer add, list and remove; the preshared key is read from a file and never shown",
          "[edgectl][wg_peers]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    const std::string key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    const std::string psk = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
    write_file(dir.file("psk"), psk + "\n");
    expect(0,
           {"wg", "peer", "add", db, key, "--endpoint", "192.0.2.1:51820", "--allowed-ips",
            "10.1.0.0/24,fd00::/64", "--keepalive", "25", "--preshared-key-file", dir.file("psk")});
    auto l = load(db);
    REQUIRE(l.snap->wg_peers.size() == 1);
    CHECK(l.snap->wg_peers[0].preshared_key.has_value());
    CHECK(l.snap->wg_peers[0].allowed_ips.size() == 2);
    auto list = expect(0, {"wg", "peer", "list", db});
    CHECK(contains(list.out, key));
    CHECK(contains(list.out, "(set)"));
    CHECK_FALSE(contains(list.out, psk));
    auto bad = expect(2, {"wg", "peer", "add", db, "not-a-key", "--allowed-ips", "10.2.0.0/24"});
    CHECK(contains(bad.err, "public_key 'not-a-key' is not a 32-byte key"));
    auto clash = expect(2, {"wg", "peer", "add", db, psk, "--allowed-ips", "10.1.0.0/24"});
    CHECK(contains(clash.err, "allowed IP 10.1.0.0/24 already belongs to peer"));
    expect(0, {"wg", "peer", "remove", db, key});
    CHECK(load(db).snap->wg_peers.empty());
    expect(1, {"wg", "peer", "remove", db, key});
}

TEST_CASE("backend check writes a health_checks row; --default removes it", "[edgectl][health]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    expect(0, {"backend", "add", db, "a", "--region", "eu", "--ip", "10.0.0.1", "--port", "80"});
    auto r = expect(0, {"backend", "check", db, "a", "--send", "PING\\r\\n", "--expect", "+PONG",
                        "--interval", "2s", "--timeout", "500ms", "--rise", "2", "--fall", "3"});
    CHECK(contains(r.out, "checked by send_expect: interval 2000 ms, timeout 500 ms"));
    auto l = load(db);
    REQUIRE(l.snap->backends[0].health_check == 0);
    const auto& hc = l.snap->health_checks[0];
    CHECK(hc.kind == health_check_kind::send_expect);
    CHECK(hc.send == "PING\r\n");
    CHECK(hc.expect == "+PONG");
    CHECK(hc.interval_ms == 2000u);
    CHECK(hc.fall == 3u);
    expect(0, {"backend", "check", db, "a", "--path", "/health", "--status", "2xx"});
    CHECK(load(db).snap->health_checks[0].kind == health_check_kind::http);
    auto bad = expect(2, {"backend", "check", db, "a", "--interval", "2s", "--timeout", "5s"});
    CHECK(contains(bad.err, "timeout_ms 5000 is longer than interval_ms 2000"));
    expect(1, {"backend", "check", db, "nobody", "--interval", "2s"});
    expect(0, {"backend", "check", db, "a", "--default"});
    CHECK(load(db).snap->health_checks.empty());
}

TEST_CASE("backend check --default with another setting is a usage error", "[edgectl][health]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    expect(0, {"init", db});
    expect(0, {"backend", "add", db, "a", "--region", "eu", "--ip", "10.0.0.1", "--port", "80"});
    expect(0, {"backend", "check", db, "a", "--interval", "2s"});
    // Removing the override would drop --interval without a word: refused, the row kept.
    auto r = expect(2, {"backend", "check", db, "a", "--default", "--interval", "1s"});
    CHECK(contains(r.err, "--default removes the override and takes no other setting"));
    CHECK(contains(r.err, "--interval"));
    REQUIRE(load(db).snap->health_checks.size() == 1);
    CHECK(load(db).snap->health_checks[0].interval_ms == 2000u);
    expect(2, {"backend", "check", db, "a", "--interval", "1s", "--default"});
    // The same through etcd: refused before any endpoint is dialled (nothing listens on port 1,
    // so reaching it would exit 1, not 2).
    auto e = expect(2, {"backend", "check", "--etcd", "http://127.0.0.1:1", "a", "--default",
                        "--interval", "1s"});
    CHECK(contains(e.err, "takes no other setting (got --interval)"));
}

int main(int argc, char** argv) {
    edgectl_bin = env_path("EDGECTL_BIN");
    if (edgectl_bin.empty()) {
        std::puts("SKIP: EDGECTL_BIN is not set (run through meson test)");
        return 77;
    }
    if (!in_path("sqlite3")) {
        std::puts("SKIP: the sqlite3 command-line tool is not installed (tools/install_deps test)");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
