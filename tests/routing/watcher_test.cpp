// db_watcher against real writers: the sqlite3 CLI (rollback journal), a sqlite3 process that
// keeps the database open in WAL mode, an atomic rename over the file, in-place corruption and
// recovery, a missing file, a held lock, and no reload when nothing changed.
// Needs the sqlite3 CLI: without it this executable exits 77 (SKIP).

#define CATCH_CONFIG_RUNNER
#include <fmt/format.h>
#include <sqlite3.h>
#include <stdio.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/watcher.hpp"
#include "tests/routing/test_support.hpp"

using namespace edge::routing;
using namespace edge::routing::test;

namespace {

// What the control thread does each reload interval, with a record of it.
struct control_loop {
    explicit control_loop(const std::string& path) : watcher(path) { opts.db_path = path; }

    // One interval: returns whether a load was attempted.
    bool tick() {
        if (!watcher.poll()) return false;
        ++loads;
        auto r = load_snapshot(opts, registry);
        if (r) {
            snap = r->snap;
            if (watcher.on_load_succeeded()) ++recoveries;
        } else {
            last_error = r.error();
            if (auto line = watcher.on_load_failed(r.error())) logged.push_back(*line);
        }
        return true;
    }

    std::uint32_t weight_of(const std::string& id) const {
        for (const auto& b : snap->backends)
            if (b.id == id) return b.weight;
        return 0;
    }

    db_watcher watcher;
    load_options opts;
    backend_registry registry;
    snapshot_ptr snap;
    int loads = 0;
    int recoveries = 0;
    load_error last_error{load_failure::io, ""};
    std::vector<std::string> logged;
};

void make_db(const std::string& path, int backends = 2) {
    std::string sql = backends_ddl(true);
    for (int i = 0; i < backends; ++i)
        sql += insert_backend(fmt::format("b{}", i), "sa", fmt::format("10.0.0.{}", i + 1), 80);
    exec_sql(path, sql);
}

void sqlite3_cli(const std::string& db, const std::string& sql) {
    auto r = run_process({"sqlite3", db, sql});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
}

// Several quiet intervals must not reload.
void require_quiet(control_loop& c, int intervals = 3) {
    int before = c.loads;
    for (int i = 0; i < intervals; ++i)
        c.tick();
    REQUIRE(c.loads == before);
}

}  // namespace

TEST_CASE("first poll loads; nothing changed means no reload", "[watcher]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    make_db(db);
    control_loop c(db);
    CHECK(c.tick());
    REQUIRE(c.snap);
    CHECK(c.snap->backends.size() == 2);
    require_quiet(c, 5);
}

TEST_CASE("an edit by the sqlite3 CLI is picked up", "[watcher]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    make_db(db);
    control_loop c(db);
    c.tick();
    for (int w = 2; w < 6; ++w) {
        sqlite3_cli(db, fmt::format("UPDATE backends SET weight = {} WHERE id = 'b0';", w));
        CHECK(c.tick());
        CHECK(c.weight_of("b0") == static_cast<std::uint32_t>(w));
        require_quiet(c);
    }
}

TEST_CASE("a WAL-mode writer holding the database open is picked up", "[watcher]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    make_db(db);
    child_process writer({"sqlite3", "-batch", db});
    writer.write("PRAGMA journal_mode=WAL;\n.print ready\n");
    writer.read_until("ready");
    control_loop c(db);
    c.tick();
    require_quiet(c);
    for (int w = 2; w < 6; ++w) {
        writer.write(
            fmt::format("UPDATE backends SET weight = {} WHERE id = 'b1';\n.print done{}\n", w, w));
        writer.read_until(fmt::format("done{}", w));
        CHECK(c.tick());
        CHECK(c.weight_of("b1") == static_cast<std::uint32_t>(w));
        require_quiet(c);
    }
    // A checkpoint moves the WAL into the database file: at most one extra load, then quiet.
    writer.write("PRAGMA wal_checkpoint(TRUNCATE);\n.print ckpt\n");
    writer.read_until("ckpt");
    c.tick();
    CHECK(c.weight_of("b1") == 5);
    require_quiet(c);
    CHECK(writer.finish() == 0);
    CHECK(c.logged.empty());
}

TEST_CASE("an atomic rename over the database is picked up", "[watcher]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    make_db(db, 2);
    control_loop c(db);
    c.tick();
    for (int n = 3; n < 6; ++n) {
        auto next = dir.file(fmt::format("next-{}.db", n));
        make_db(next, n);
        REQUIRE(std::rename(next.c_str(), db.c_str()) == 0);
        CHECK(c.tick());
        CHECK(c.snap->backends.size() == static_cast<std::size_t>(n));
        require_quiet(c);
    }
}

TEST_CASE("a corrupt file keeps the last snapshot, is logged once, and recovers", "[watcher]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    make_db(db, 3);
    control_loop c(db);
    c.tick();
    snapshot_ptr good = c.snap;

    write_file(db, std::string(8192, 'z'));  // overwritten in place
    CHECK(c.tick());
    CHECK(c.snap == good);
    CHECK(c.last_error.kind == load_failure::corrupt);
    REQUIRE(c.logged.size() == 1);
    CHECK(c.logged[0].find("(corrupt)") != std::string::npos);
    require_quiet(c);  // no re-read of an unchanged bad file

    write_file(db, std::string(4096, 'y'));  // changed, but the same failure: not logged again
    CHECK(c.tick());
    CHECK(c.logged.size() == 1);
    require_quiet(c);

    auto fixed = dir.file("fixed.db");
    make_db(fixed, 4);
    REQUIRE(std::rename(fixed.c_str(), db.c_str()) == 0);
    CHECK(c.tick());
    CHECK(c.recoveries == 1);
    CHECK(c.snap->backends.size() == 4);
    require_quiet(c);
}

TEST_CASE("a missing file is reported once; its return is picked up", "[watcher]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    control_loop c(db);
    CHECK(c.tick());
    CHECK(c.last_error.kind == load_failure::missing);
    CHECK(c.logged.size() == 1);
    require_quiet(c);
    make_db(db);
    CHECK(c.tick());
    CHECK(c.recoveries == 1);
    CHECK(c.snap->backends.size() == 2);

    REQUIRE(std::remove(db.c_str()) == 0);
    CHECK(c.tick());
    CHECK(c.snap->backends.size() == 2);  // the last good snapshot stays
    CHECK(c.logged.size() == 2);
    require_quiet(c);
}

TEST_CASE("wrong schema, fixed by the sqlite3 CLI", "[watcher]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    exec_sql(db, "CREATE TABLE backends (id TEXT, region TEXT);");
    control_loop c(db);
    c.tick();
    CHECK(c.last_error.kind == load_failure::wrong_schema);
    require_quiet(c);
    sqlite3_cli(db, "DROP TABLE backends;" + backends_ddl(true) +
                        insert_backend("x", "eu", "10.9.9.9", 443));
    CHECK(c.tick());
    CHECK(c.recoveries == 1);
    CHECK(c.snap->backends.size() == 1);
}

TEST_CASE("a held lock is retried every interval, reported once, and clears", "[watcher]") {
    temp_dir dir;
    auto db = dir.file("routing.db");
    make_db(db);
    control_loop c(db);
    c.opts.busy_timeout_ms = 20;
    c.tick();
    snapshot_ptr good = c.snap;

    sqlite3* holder = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &holder) == SQLITE_OK);
    REQUIRE(sqlite3_exec(holder, "BEGIN EXCLUSIVE; UPDATE backends SET weight = 9;", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
    CHECK(c.tick());
    CHECK(c.last_error.kind == load_failure::locked);
    CHECK(c.tick());              // retried while locked...
    CHECK(c.logged.size() == 1);  // ...but logged once
    CHECK(c.snap == good);
    REQUIRE(sqlite3_exec(holder, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(holder);
    CHECK(c.tick());
    CHECK(c.recoveries == 1);
    CHECK(c.weight_of("b0") == 9);
    require_quiet(c);
}

int main(int argc, char** argv) {
    if (!in_path("sqlite3")) {
        std::puts("SKIP: the sqlite3 command-line tool is not installed (tools/install_deps test)");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
