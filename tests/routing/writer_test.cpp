// routing_writer and write_routing_db_file against real files: every edit validated as the loader
// validates (nothing it would reject is written), soft and hard removal, the optional tables, and
// whole-file replacement by rename.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "routing/db_replace.hpp"
#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/writer.hpp"
#include "tests/routing/test_support.hpp"

using namespace edge::routing;
using edge::routing::test::backends_ddl;
using edge::routing::test::exec_sql;
using edge::routing::test::temp_dir;

namespace {

const std::string key_a = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const std::string key_b = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

raw_row row(const std::string& id, std::int64_t port = 8080, std::int64_t weight = 1) {
    raw_row r;
    r.id = db_value::of(id);
    r.app = db_value::of(std::string("app"));
    r.region = db_value::of(std::string("eu"));
    r.country = db_value::of(std::string("DE"));
    r.wg_ip = db_value::of(std::string("10.0.0.1"));
    r.port = db_value::of(port);
    r.healthy = db_value::of(std::int64_t{1});
    r.weight = db_value::of(weight);
    r.soft_limit = db_value::of(std::int64_t{100});
    r.hard_limit = db_value::of(std::int64_t{0});
    r.deleted = db_value::of(std::int64_t{0});
    return r;
}

routing_writer open_new(const std::string& path) {
    auto w = routing_writer::open(path, true);
    REQUIRE(w);
    REQUIRE(w->begin());
    REQUIRE(w->ensure_schema());
    return std::move(*w);
}

load_result load(const std::string& path) {
    backend_registry reg;
    load_options o;
    o.db_path = path;
    auto r = load_snapshot(o, reg);
    if (!r) FAIL("load failed: " << r.error().detail);
    return std::move(*r);
}

}  // namespace

TEST_CASE("the writer adds, updates and removes backends; the loader reads what it wrote",
          "[writer]") {
    temp_dir dir;
    std::string db = dir.file("routing.db");
    {
        auto w = open_new(db);
        REQUIRE(w.put_backend(row("a"), put_mode::add));
        REQUIRE(w.put_backend(row("b", 9000, 3), put_mode::add));
        auto again = w.put_backend(row("a"), put_mode::add);
        REQUIRE_FALSE(again);
        CHECK(again.error().what == write_error::kind::exists);
        auto missing = w.put_backend(row("c"), put_mode::update);
        REQUIRE_FALSE(missing);
        CHECK(missing.error().what == write_error::kind::not_found);
        REQUIRE(w.put_backend(row("b", 9001, 5), put_mode::update));
        REQUIRE(w.set_draining("b", true));
        REQUIRE(w.set_send_proxy("a", 2));
        REQUIRE(w.commit());
    }
    auto l = load(db);
    REQUIRE(l.snap->backends.size() == 2);
    CHECK(l.snap->backends[1].id == "b");
    CHECK(l.snap->backends[1].weight == 5);
    CHECK(l.snap->backends[1].address.port() == 9001);
    CHECK(l.snap->backends[1].draining);
    CHECK(l.snap->backends[0].send_proxy == 2);

    auto w = routing_writer::open(db, false);
    REQUIRE(w);
    REQUIRE(w->begin());
    REQUIRE(w->remove_backend("a"));  // soft: deleted = 1, its send_proxy row gone
    REQUIRE(w->remove_backend("b", true));
    CHECK(w->remove_backend("zzz").error().what == write_error::kind::not_found);
    bool removed = false;
    auto found = w->find_backend("a", &removed);
    REQUIRE(found);
    CHECK_FALSE(found->has_value());
    CHECK(removed);
    REQUIRE(w->put_backend(row("a", 7000), put_mode::add));  // revives the removed row
    REQUIRE(w->commit());
    auto after = load(db);
    REQUIRE(after.snap->backends.size() == 1);
    CHECK(after.snap->backends[0].address.port() == 7000);
    CHECK(after.snap->backends[0].send_proxy == 0);
    CHECK(after.rows_deleted == 0);
}

TEST_CASE("the writer refuses exactly what the loader would reject, and writes nothing of it",
          "[writer]") {
    temp_dir dir;
    std::string db = dir.file("routing.db");
    auto w = open_new(db);
    raw_row bad = row("eu-1\ninjected");
    auto r = w.put_backend(bad, put_mode::upsert);
    REQUIRE_FALSE(r);
    CHECK(r.error().what == write_error::kind::invalid);
    CHECK(r.error().detail == "id contains a control character (newline)");
    CHECK(w.put_backend(row("p", 0), put_mode::upsert).error().detail ==
          "port 0 is outside 1-65535");
    CHECK(w.put_backend(row("w", 80, -1), put_mode::upsert).error().detail ==
          "weight -1 is negative");
    CHECK(w.set_send_proxy("a", 3).error().what == write_error::kind::invalid);
    raw_country_region cr{db_value::of(std::string("Germany")), db_value::of(std::string("eu"))};
    CHECK(w.put_country_region(cr).error().what == write_error::kind::invalid);
    raw_health_check hc;
    hc.id = db_value::of(std::string("a"));
    hc.kind = db_value::of(std::string("ping"));
    CHECK(w.put_health_check(hc).error().what == write_error::kind::invalid);
    REQUIRE(w.commit());
    auto l = load(db);
    CHECK(l.snap->backends.empty());
    CHECK(l.rejected.empty());
}

TEST_CASE("wg peers and health checks through the writer reach the snapshot", "[writer]") {
    temp_dir dir;
    std::string db = dir.file("routing.db");
    {
        auto w = open_new(db);
        REQUIRE(w.put_backend(row("a"), put_mode::add));
        raw_wg_peer p;
        p.public_key = db_value::of(" " + key_a);  // stored in its canonical form
        p.allowed_ips = db_value::of(std::string("10.9.0.0/16"));
        p.endpoint = db_value::of(std::string("192.0.2.7:51820"));
        p.persistent_keepalive = db_value::of(std::int64_t{25});
        REQUIRE(w.put_wg_peer(p));
        raw_wg_peer clash;
        clash.public_key = db_value::of(key_b);
        clash.allowed_ips = db_value::of(std::string("10.8.0.0/16, 10.9.0.0/16"));
        auto r = w.put_wg_peer(clash);
        REQUIRE_FALSE(r);
        CHECK(r.error().detail.find("allowed IP 10.9.0.0/16 already belongs to peer") == 0);
        raw_health_check hc;
        hc.id = db_value::of(std::string("a"));
        hc.kind = db_value::of(std::string("send_expect"));
        hc.send = db_value::of(std::string("PING\\r\\n"));
        hc.expect = db_value::of(std::string("+PONG"));
        hc.interval_ms = db_value::of(std::int64_t{1500});
        REQUIRE(w.put_health_check(hc));
        REQUIRE(w.set_sync_state("etcd_revision", "42"));
        REQUIRE(w.commit());
    }
    auto l = load(db);
    CHECK(l.rejected.empty());
    REQUIRE(l.snap->wg_peers.size() == 1);
    CHECK(l.snap->wg_peers[0].persistent_keepalive == 25);
    CHECK(to_string(l.snap->wg_peers[0].endpoint) == "192.0.2.7:51820");
    REQUIRE(l.snap->health_checks.size() == 1);
    REQUIRE(l.snap->backends[0].health_check == 0);
    const health_check& hc = l.snap->health_checks[0];
    CHECK(hc.kind == health_check_kind::send_expect);
    CHECK(hc.send == "PING\r\n");
    CHECK(hc.interval_ms == 1500u);
    REQUIRE(l.sync_state.size() == 1);
    CHECK(l.sync_state[0] == std::pair<std::string, std::string>("etcd_revision", "42"));

    auto w = routing_writer::open(db, false);
    REQUIRE(w);
    REQUIRE(w->begin());
    REQUIRE(w->remove_wg_peer(key_a));
    CHECK(w->remove_wg_peer(key_a).error().what == write_error::kind::not_found);
    REQUIRE(w->remove_health_check("a"));
    REQUIRE(w->commit());
    auto after = load(db);
    CHECK(after.snap->wg_peers.empty());
    CHECK(after.snap->backends[0].health_check == -1);
}

TEST_CASE("an edgeProxy database: no country column, and ensure_schema adds it", "[writer]") {
    temp_dir dir;
    std::string db = dir.file("routing.db");
    exec_sql(db, backends_ddl(false));
    auto w = routing_writer::open(db, false);
    REQUIRE(w);
    REQUIRE(w->begin());
    CHECK(w->put_backend(row("a"), put_mode::add).error().detail.find("no country column") !=
          std::string::npos);
    raw_row no_country = row("a");
    no_country.country = db_value::null();
    REQUIRE(w->put_backend(no_country, put_mode::add));
    auto done = w->ensure_schema();
    REQUIRE(done);
    CHECK(std::find(done->begin(), done->end(), "added column backends.country") != done->end());
    CHECK(std::find(done->begin(), done->end(), "created table wg_peers") != done->end());
    REQUIRE(w->put_backend(row("b"), put_mode::add));
    REQUIRE(w->commit());
    CHECK(load(db).snap->backends.size() == 2);
}

TEST_CASE("a whole table set replaces the file by rename; bad rows are left out and listed",
          "[writer][replace]") {
    temp_dir dir;
    std::string db = dir.file("routing.db");
    table_set first;
    first.backends = {row("old")};
    REQUIRE(write_routing_db_file(db, first, {}));
    ::chmod(db.c_str(), 0640);
    struct stat before {};
    ::stat(db.c_str(), &before);

    table_set t;
    t.backends = {row("a"), row("bad", 0), row("a", 9000), row("b")};
    t.draining = {"b"};
    raw_wg_peer p;
    p.public_key = db_value::of(key_a);
    p.allowed_ips = db_value::of(std::string("10.1.0.0/16"));
    t.wg_peers = {p};
    t.sync_state = {{"etcd_revision", "7"}};
    auto rejected = write_routing_db_file(db, t, {});
    REQUIRE(rejected);
    REQUIRE(rejected->size() == 2);
    CHECK((*rejected)[0].id == "bad");
    CHECK((*rejected)[1].reason == "duplicate id (first at rowid 1)");
    struct stat after {};
    ::stat(db.c_str(), &after);
    CHECK(after.st_ino != before.st_ino);   // a new file renamed over the old one
    CHECK((after.st_mode & 0777) == 0640);  // with the old one's permissions
    auto l = load(db);
    CHECK(l.rejected.empty());  // only valid rows were written
    REQUIRE(l.snap->backends.size() == 2);
    CHECK(l.snap->backends[1].draining);
    CHECK(l.snap->wg_peers.size() == 1);
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);

    // A failure leaves the old file as it was.
    auto fail = write_routing_db_file(dir.file("no/such/dir/routing.db"), t, {});
    CHECK_FALSE(fail);
    CHECK(load(db).snap->backends.size() == 2);
}
