// End to end: routing.db edited while the proxy runs — by the sqlite3 CLI, by rename-over, by a
// WAL writer that keeps the file open, by corruption — and hard_limit and affinity across cores.

#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/socket.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

// Polls until a new connection reaches `want` or `limit` passes; returns how long it took.
std::optional<std::chrono::milliseconds> until_reaches(std::uint16_t port, const std::string& want,
                                                       std::chrono::milliseconds limit) {
    auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < limit) {
        if (first_line_through(port) == want)
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0);
        std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
}

proxy_options opts(const temp_dir& dir, unsigned cores, std::vector<std::string> extra) {
    // No affinity unless a test asks for it: these tests watch where each new connection goes.
    std::vector<std::string> args = {"--binding-ttl", "0", "--reload-interval", "1s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return proxy_options{dir.file("routing.db"), cores, args};
}

}  // namespace

TEST_CASE("an edit with the sqlite3 CLI moves new connections within the reload interval") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a"), b(test_backend::mode::banner, "b");
    write_routing_db(dir.file("routing.db"), {{"a", a.port(), "eu"}, {"b", b.port(), "us"}});
    proxy_process proxy(dir, opts(dir, 2, {"--region", "eu"}));
    for (int i = 0; i < 10; ++i)
        CHECK(first_line_through(proxy.port()) == "a");
    auto [rc, out] = run_command(
        {"sqlite3", dir.file("routing.db"), "UPDATE backends SET healthy=0 WHERE id='a'"});
    REQUIRE(rc == 0);
    auto took = until_reaches(proxy.port(), "b", 5s);
    REQUIRE(took);
    CHECK(*took < 1500ms);  // the interval is 1 s; the check itself is cheap
    for (int i = 0; i < 10; ++i)
        CHECK(first_line_through(proxy.port()) == "b");
    CHECK(proxy.metric("edge_routing_reloads_total{result=\"ok\"}") >= 1);
}

TEST_CASE("an atomic replacement of the file (rename over it) is picked up") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a"), b(test_backend::mode::banner, "b");
    write_routing_db(dir.file("routing.db"), {{"a", a.port()}});
    proxy_process proxy(dir, opts(dir, 1, {}));
    CHECK(first_line_through(proxy.port()) == "a");
    write_routing_db(dir.file("next.db"), {{"b", b.port()}});
    std::filesystem::rename(dir.file("next.db"), dir.file("routing.db"));
    CHECK(until_reaches(proxy.port(), "b", 5s));
}

TEST_CASE("a WAL-mode writer holding the database open is followed commit by commit") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a"), b(test_backend::mode::banner, "b");
    write_routing_db(dir.file("routing.db"), {{"a", a.port(), "eu"}, {"b", b.port(), "us"}});
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.file("routing.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) == SQLITE_OK);
    proxy_process proxy(dir, opts(dir, 1, {"--region", "eu"}));
    CHECK(first_line_through(proxy.port()) == "a");
    REQUIRE(sqlite3_exec(db, "UPDATE backends SET healthy=0 WHERE id='a'", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    CHECK(until_reaches(proxy.port(), "b", 5s));
    REQUIRE(sqlite3_exec(db, "UPDATE backends SET healthy=1 WHERE id='a'", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    CHECK(until_reaches(proxy.port(), "a", 5s));
    sqlite3_close(db);
}

TEST_CASE(
    "a corrupt routing.db keeps the last good table, is reported once, and recovery is automatic") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a"), b(test_backend::mode::banner, "b");
    write_routing_db(dir.file("routing.db"), {{"a", a.port()}});
    proxy_process proxy(dir, opts(dir, 2, {"--reload-interval", "200ms"}));
    CHECK(first_line_through(proxy.port()) == "a");
    {
        std::ofstream garbage(dir.file("bad.db"), std::ios::binary);
        std::string junk = random_bytes(8192, 99);
        garbage << "SQLite format 3" << junk;  // a plausible header, then nonsense
    }
    std::filesystem::rename(dir.file("bad.db"), dir.file("routing.db"));
    std::this_thread::sleep_for(1500ms);  // several reload checks
    for (int i = 0; i < 5; ++i)
        CHECK(first_line_through(proxy.port()) == "a");  // still serving, same table
    auto failures =
        proxy.metric("edge_routing_reloads_total{result=\"corrupt\"}").value_or(0) +
        proxy.metric("edge_routing_reloads_total{result=\"wrong_schema\"}").value_or(0) +
        proxy.metric("edge_routing_reloads_total{result=\"io_error\"}").value_or(0);
    CHECK(failures >= 1);
    std::string out = proxy.output();
    std::size_t reports = 0;
    for (std::size_t p = 0; (p = out.find("keeping the table in force", p)) != std::string::npos;
         ++p)
        ++reports;
    CHECK(reports == 1);  // one line per distinct failure, not one per check
    write_routing_db(dir.file("good.db"), {{"b", b.port()}});
    std::filesystem::rename(dir.file("good.db"), dir.file("routing.db"));
    CHECK(until_reaches(proxy.port(), "b", 5s));
    CHECK(proxy.process().wait_for_output("readable again", 2s));
}

// A file missing at start: tests/e2e/db_at_start_test.cpp (no start by default; --wait-for-db).

TEST_CASE("hard_limit holds across all cores under a burst; the overflow goes to the next best") {
    temp_dir dir;
    test_backend a(test_backend::mode::hold, "a"), b(test_backend::mode::hold, "b");
    write_routing_db(dir.file("routing.db"),
                     {{"a", a.port(), "eu", "", "127.0.0.1", 1, 1, 100, 20},
                      {"b", b.port(), "us", "", "127.0.0.1", 1, 1, 100, 30}});
    proxy_process proxy(dir, opts(dir, 2, {"--region", "eu"}));
    // 80 clients at once from many source addresses, landing on both workers.
    std::vector<unique_fd> clients(80);
    std::vector<std::thread> openers;
    for (int t = 0; t < 8; ++t)
        openers.emplace_back([&, t] {
            for (int i = t; i < 80; i += 8)
                clients[i] =
                    connect_tcp(proxy.port(), "127.0.0.1", "127.0.1." + std::to_string(i + 1));
        });
    for (auto& o : openers)
        o.join();
    std::this_thread::sleep_for(500ms);
    CHECK(a.max_open() == 20);
    CHECK(b.max_open() == 30);
    CHECK(proxy.metric("edge_backend_connections_current{backend=\"a\"}") == 20);
    CHECK(proxy.metric("edge_backend_connections_current{backend=\"b\"}") == 30);
    CHECK(proxy.metric("edge_connections_rejected_total{reason=\"capacity\"}") == 30);
    CHECK(proxy.metric("edge_worker_connections_total{worker=\"0\"}") > 0);
    CHECK(proxy.metric("edge_worker_connections_total{worker=\"1\"}") > 0);
}

TEST_CASE("affinity: a client keeps its backend across connections on every worker") {
    temp_dir dir;
    std::vector<std::unique_ptr<test_backend>> backends;
    std::vector<backend_row> rows;
    for (int i = 0; i < 4; ++i) {
        backends.push_back(
            std::make_unique<test_backend>(test_backend::mode::banner, "n" + std::to_string(i)));
        rows.push_back({"n" + std::to_string(i), backends.back()->port()});
    }
    write_routing_db(dir.file("routing.db"), rows);
    proxy_process proxy(dir, {dir.file("routing.db"), 2, {"--binding-ttl", "60s"}});
    std::map<std::string, std::string> first;
    for (int c = 1; c <= 12; ++c) {
        std::string src = "127.0.2." + std::to_string(c);
        first[src] = first_line_through(proxy.port(), src);
        REQUIRE_FALSE(first[src].empty());
        for (int i = 0; i < 15; ++i)
            CHECK(first_line_through(proxy.port(), src) == first[src]);
    }
    std::set<std::string> used;
    for (auto& [src, b] : first)
        used.insert(b);
    CHECK(used.size() >= 2);  // ties are spread: distinct clients do not all land on one backend
    CHECK(proxy.metric("edge_worker_connections_total{worker=\"0\"}") > 20);
    CHECK(proxy.metric("edge_worker_connections_total{worker=\"1\"}") > 20);
    CHECK(proxy.metric("edge_bindings_current") == 12);
}

TEST_CASE("a bound backend that goes unhealthy loses its clients, who are re-routed and re-bound") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a"), b(test_backend::mode::banner, "b");
    write_routing_db(dir.file("routing.db"), {{"a", a.port(), "eu"}, {"b", b.port(), "eu"}});
    proxy_process proxy(
        dir, {dir.file("routing.db"), 2, {"--binding-ttl", "60s", "--reload-interval", "200ms"}});
    std::string src = "127.0.3.7";
    std::string bound = first_line_through(proxy.port(), src);
    REQUIRE_FALSE(bound.empty());
    std::string other = bound == "a" ? "b" : "a";
    exec_sql(dir.file("routing.db"), "UPDATE backends SET healthy=0 WHERE id='" + bound + "'");
    bool moved = false;
    for (int i = 0; i < 100 && !moved; ++i) {
        moved = first_line_through(proxy.port(), src) == other;
        if (!moved) std::this_thread::sleep_for(50ms);
    }
    REQUIRE(moved);
    // Back to healthy: the client stays where it was re-bound.
    exec_sql(dir.file("routing.db"), "UPDATE backends SET healthy=1 WHERE id='" + bound + "'");
    std::this_thread::sleep_for(600ms);
    for (int i = 0; i < 10; ++i)
        CHECK(first_line_through(proxy.port(), src) == other);
}

TEST_CASE("connections already relaying survive their backend's removal") {
    temp_dir dir;
    test_backend a(test_backend::mode::echo, "a");
    write_routing_db(dir.file("routing.db"), {{"a", a.port()}});
    proxy_process proxy(dir, opts(dir, 1, {"--reload-interval", "200ms"}));
    unique_fd live = connect_tcp(proxy.port());
    REQUIRE(send_all(live.get(), "one"));
    REQUIRE(read_exact(live.get(), 3) == std::optional<std::string>("one"));
    exec_sql(dir.file("routing.db"), "UPDATE backends SET deleted=1 WHERE id='a'");
    std::this_thread::sleep_for(800ms);
    CHECK(first_line_through(proxy.port()).empty());  // new clients have nowhere to go
    REQUIRE(send_all(live.get(), "two"));
    CHECK(read_exact(live.get(), 3) == std::optional<std::string>("two"));  // the old one flows
}
