// load_snapshot against real database files: both shapes of edgeProxy's table, rejections with
// ids, whole-load failures (missing, locked, corrupt, wrong shape) and the optional tables.

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "routing/address.hpp"
#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "tests/routing/test_support.hpp"

using namespace edge::routing;
using edge::routing::test::backends_ddl;
using edge::routing::test::exec_sql;
using edge::routing::test::insert_backend;
using edge::routing::test::temp_dir;

namespace {

load_options options(const std::string& path, const char* pop = "sa") {
    load_options o;
    o.db_path = path;
    o.pop_region = *edge::geo::region_code::parse(pop);
    o.busy_timeout_ms = 50;
    return o;
}

load_result load_ok(const std::string& path, backend_registry& reg) {
    auto r = load_snapshot(options(path), reg);
    if (!r) FAIL("load failed: " << r.error().detail);
    return std::move(*r);
}

load_error load_fail(const std::string& path) {
    backend_registry reg;
    auto r = load_snapshot(options(path), reg);
    REQUIRE_FALSE(r.has_value());
    return r.error();
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

const backend* find(const snapshot& s, const std::string& id) {
    for (const auto& b : s.backends) {
        if (b.id == id) return &b;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("loads edgeProxy's table with the country column", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(true) + insert_backend("br-1", "SA", "10.0.0.1", 8080, true, "br") +
                     insert_backend("us-1", "us", "10.0.0.2", 8081, true, "US"));
    backend_registry reg;
    auto r = load_ok(db, reg);
    REQUIRE(r.rejected.empty());
    REQUIRE(r.snap->backends.size() == 2);
    const backend& b = r.snap->backends[0];
    CHECK(b.id == "br-1");
    CHECK(b.region.str() == "sa");
    CHECK(b.country.str() == "BR");
    CHECK(to_string(b.address) == "10.0.0.1:8080");
    CHECK(b.shared != nullptr);
    CHECK(b.generation != 0);
    CHECK(r.snap->pop_region.str() == "sa");
}

TEST_CASE("loads edgeProxy's table without the country column", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(false) + insert_backend("br-1", "sa", "10.0.0.1", 8080, false));
    backend_registry reg;
    auto r = load_ok(db, reg);
    REQUIRE(r.snap->backends.size() == 1);
    CHECK_FALSE(r.snap->backends[0].country.known());
}

TEST_CASE("bad rows are rejected alone, with id and reason, in table order", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    // No PRIMARY KEY, so that duplicate ids can exist, as in a hand-made table.
    exec_sql(db,
             "CREATE TABLE backends (id TEXT, app TEXT, region TEXT, country TEXT, wg_ip TEXT, "
             "port INTEGER, healthy INTEGER, weight INTEGER, soft_limit INTEGER, hard_limit "
             "INTEGER, deleted INTEGER);"
             "INSERT INTO backends VALUES ('ok-1','a','sa','BR','10.0.0.1',80,1,1,10,0,0);"
             "INSERT INTO backends VALUES ('bad-port','a','sa','BR','10.0.0.2',70000,1,1,10,0,0);"
             "INSERT INTO backends VALUES (NULL,'a','sa','BR','10.0.0.3',80,1,1,10,0,0);"
             "INSERT INTO backends VALUES ('neg-weight','a','sa','BR','10.0.0.4',80,1,-3,10,0,0);"
             "INSERT INTO backends VALUES ('bad-ip','a','sa','BR','10.0.0.999',80,1,1,10,0,0);"
             "INSERT INTO backends VALUES ('ok-1','a','us','US','10.0.0.5',80,1,1,10,0,0);"
             "INSERT INTO backends VALUES ('long-region','a','antarctica-south','AQ','10.0.0.6',80,"
             "1,1,10,0,0);"
             "INSERT INTO backends VALUES ('null-port','a','sa','BR','10.0.0.7',NULL,1,1,10,0,0);"
             "INSERT INTO backends VALUES ('gone','a','sa','BR','10.0.0.8',80,1,1,10,0,1);"
             "INSERT INTO backends VALUES ('ok-2','a','eu','DE','10.0.0.9',80,1,1,10,0,NULL);");
    backend_registry reg;
    auto r = load_ok(db, reg);
    REQUIRE(r.snap->backends.size() == 2);
    CHECK(r.snap->backends[0].id == "ok-1");
    CHECK(r.snap->backends[0].region.str() == "sa");  // the first row with the id wins
    CHECK(r.snap->backends[1].id == "ok-2");
    CHECK(r.rows_read == 10);
    CHECK(r.rows_deleted == 1);
    std::vector<std::pair<std::string, std::string>> got;
    for (const auto& x : r.rejected)
        got.emplace_back(x.id, x.reason);
    std::vector<std::pair<std::string, std::string>> want = {
        {"bad-port", "port 70000 is outside 1-65535"},
        {"rowid 3", "id is NULL"},
        {"neg-weight", "weight -3 is negative"},
        {"bad-ip", "wg_ip '10.0.0.999' is not an IP address or host name"},
        {"ok-1", "duplicate id (first at rowid 1)"},
        {"long-region", "region 'antarctica-south' is longer than 15 bytes"},
        {"null-port", "port is NULL"},
    };
    CHECK(got == want);
}

TEST_CASE("a missing file is reported and not created", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    auto e = load_fail(db);
    CHECK(e.kind == load_failure::missing);
    CHECK(e.detail.find("no such file (its directory " + dir.path().string() + " exists)") !=
          std::string::npos);
    struct stat st {};
    CHECK(::stat(db.c_str(), &st) != 0);
}

TEST_CASE("a corrupt file, an empty file, a directory", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    edge::routing::test::write_file(db, std::string(4096, 'x'));
    auto e = load_fail(db);
    CHECK(e.kind == load_failure::corrupt);
    CHECK(e.detail.find('\n') == std::string::npos);

    edge::routing::test::write_file(db, "");
    e = load_fail(db);
    CHECK(e.kind == load_failure::wrong_schema);
    CHECK(e.detail.find("no table 'backends'") != std::string::npos);

    e = load_fail(dir.path());
    CHECK(e.kind == load_failure::io);
}

TEST_CASE("a good header over damaged pages is corrupt", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    std::string sql = backends_ddl(true);
    for (int i = 0; i < 200; ++i)
        sql += insert_backend(fmt::format("b{}", i), "sa", "10.0.0.1", 80 + i);
    exec_sql(db, sql);
    std::string bytes = slurp(db);
    REQUIRE(bytes.size() > 8192);
    for (std::size_t i = 4096; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>(0xA5);
    edge::routing::test::write_file(db, bytes);
    auto e = load_fail(db);
    CHECK(e.kind == load_failure::corrupt);
}

TEST_CASE("wrong shape names what is missing", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, "CREATE TABLE backends (id TEXT, region TEXT, wg_ip TEXT, port INTEGER);");
    auto e = load_fail(db);
    CHECK(e.kind == load_failure::wrong_schema);
    CHECK(e.detail.find("lacks column(s) app, healthy, weight, soft_limit, hard_limit, deleted") !=
          std::string::npos);
}

TEST_CASE("a database locked by a writer is reported as locked", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(true) + insert_backend("a", "sa", "10.0.0.1", 80));
    sqlite3* writer = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &writer) == SQLITE_OK);
    REQUIRE(sqlite3_exec(writer, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto e = load_fail(db);
    CHECK(e.kind == load_failure::locked);
    sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(writer);
    backend_registry reg;
    CHECK(load_ok(db, reg).snap->backends.size() == 1);
}

TEST_CASE("the loader never writes the database", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(true) + insert_backend("a", "sa", "10.0.0.1", 80));
    std::string before = slurp(db);
    struct stat st1 {
    }, st2{};
    REQUIRE(::stat(db.c_str(), &st1) == 0);
    backend_registry reg;
    for (int i = 0; i < 3; ++i)
        load_ok(db, reg);
    REQUIRE(::stat(db.c_str(), &st2) == 0);
    CHECK(slurp(db) == before);
    CHECK(st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec);
    CHECK(st1.st_mtim.tv_sec == st2.st_mtim.tv_sec);
    struct stat j {};
    CHECK(::stat((db + "-journal").c_str(), &j) != 0);
}

TEST_CASE("country_regions overrides and draining are read when present", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db,
             backends_ddl(true) + insert_backend("a", "sa", "10.0.0.1", 80) +
                 insert_backend("b", "sa", "10.0.0.2", 80) +
                 "CREATE TABLE country_regions (country TEXT PRIMARY KEY, region TEXT NOT NULL);"
                 "INSERT INTO country_regions VALUES ('mx', 'SA');"
                 "INSERT INTO country_regions VALUES ('XYZ', 'eu');"
                 "INSERT INTO country_regions VALUES ('PT', 'a region name too long');"
                 "CREATE TABLE draining (id TEXT PRIMARY KEY);"
                 "INSERT INTO draining VALUES ('b');");
    backend_registry reg;
    auto r = load_ok(db, reg);
    REQUIRE(r.snap->country_regions.size() == 1);
    CHECK(r.snap->country_regions[0].first.str() == "MX");
    CHECK(r.snap->country_regions[0].second.str() == "sa");
    REQUIRE(r.rejected.size() == 2);
    CHECK(r.rejected[0].id == "country_regions 'XYZ'");
    CHECK(r.rejected[1].id == "country_regions 'PT'");
    REQUIRE(find(*r.snap, "b") != nullptr);
    CHECK(find(*r.snap, "b")->draining);
    CHECK_FALSE(find(*r.snap, "a")->draining);
    REQUIRE(r.snap->candidates.size() == 1);  // draining: no new clients
}

TEST_CASE("an unusable optional table is ignored with a warning", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(true) + insert_backend("a", "sa", "10.0.0.1", 80) +
                     "CREATE TABLE country_regions (country TEXT);");
    backend_registry reg;
    auto r = load_ok(db, reg);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] == "table 'country_regions' lacks column 'region'; ignored");
    CHECK(r.snap->backends.size() == 1);
}

TEST_CASE("a view named backends loads (rows numbered in order)", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db,
             "CREATE TABLE raw (id TEXT, app TEXT, region TEXT, wg_ip TEXT, port INTEGER, "
             "healthy INTEGER, weight INTEGER, soft_limit INTEGER, hard_limit INTEGER, "
             "deleted INTEGER);"
             "INSERT INTO raw VALUES ('a','x','sa','10.0.0.1',80,1,1,1,0,0);"
             "INSERT INTO raw VALUES ('b','x','sa','10.0.0.2',0,1,1,1,0,0);"
             "CREATE VIEW backends AS SELECT * FROM raw;");
    backend_registry reg;
    auto r = load_ok(db, reg);
    CHECK(r.snap->backends.size() == 1);
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].id == "b");
}

TEST_CASE("the snapshot carries what selection needs", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(true) + insert_backend("a", "sa", "10.0.0.1", 80) +
                     insert_backend("b", "us", "10.0.0.2", 80, true, "US") +
                     insert_backend("c", "SA", "10.0.0.3", 80) +
                     "UPDATE backends SET healthy = 0 WHERE id = 'b';"
                     "UPDATE backends SET weight = 4, soft_limit = 0 WHERE id = 'c';");
    backend_registry reg;
    auto r = load_ok(db, reg);
    const snapshot& s = *r.snap;
    REQUIRE(s.backends.size() == 3);
    CHECK(s.regions.size() == 2);
    REQUIRE(s.candidates.size() == 2);  // b is unhealthy
    CHECK(s.candidates[0].slot == s.backends[0].slot);
    CHECK(s.candidates[1].slot == s.backends[2].slot);
    CHECK(s.candidates[0].base_tier == 2);  // POP region sa
    CHECK(s.candidates[1].inv_capacity == 1.0 / 4.0);
    CHECK(s.slot_capacity == 3);
    REQUIRE(s.index_by_slot.size() == 3);
    for (std::size_t i = 0; i < s.backends.size(); ++i)
        CHECK(s.index_by_slot[s.backends[i].slot] == static_cast<int>(i));
}

TEST_CASE("a full registry rejects the rows it cannot place", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(true) + insert_backend("a", "sa", "10.0.0.1", 80) +
                     insert_backend("b", "sa", "10.0.0.2", 80) +
                     insert_backend("c", "sa", "10.0.0.3", 80));
    backend_registry reg(2);
    auto r = load_ok(db, reg);
    CHECK(r.snap->backends.size() == 2);
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].id == "c");
    CHECK(r.rejected[0].reason == "no free backend slot (registry capacity 2)");
}

TEST_CASE("reloading keeps slots and shared state of unchanged ids", "[loader]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, backends_ddl(true) + insert_backend("a", "sa", "10.0.0.1", 80) +
                     insert_backend("b", "sa", "10.0.0.2", 80));
    backend_registry reg;
    auto r1 = load_ok(db, reg);
    exec_sql(db,
             "DELETE FROM backends WHERE id = 'a';" + insert_backend("c", "sa", "10.0.0.3", 80));
    auto r2 = load_ok(db, reg);
    CHECK(r2.snap->version > r1.snap->version);
    const backend* b1 = find(*r1.snap, "b");
    const backend* b2 = find(*r2.snap, "b");
    CHECK(b1->slot == b2->slot);
    CHECK(b1->shared == b2->shared);
    CHECK(b1->generation == b2->generation);
    // 'a' may still be in use by a worker holding r1: 'c' must not take its slot yet.
    CHECK(find(*r2.snap, "c")->slot != find(*r1.snap, "a")->slot);
}
