// End to end: routing.db missing or unreadable at start. By default the proxy does not start
// and says exactly why (a missing directory, a missing file, a permission, a WAL database whose
// directory it cannot write); with --wait-for-db it waits, before listening, for the file that a
// sync process is about to write.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

std::vector<std::string> proxy_args(const std::string& db, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {edgeproxy_bin(), "--listen", "127.0.0.1:0", "--metrics", "off",
                                  "--cores",       "1",        "--db",        db};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

/// Runs argv as user nobody when this test runs as root (root reads any file, so a permission
/// problem shows only for another user); as is otherwise.
std::vector<std::string> as_unprivileged(std::vector<std::string> argv) {
    if (::geteuid() != 0) return argv;
    std::vector<std::string> wrapped = {"setpriv", "--reuid=65534", "--regid=65534",
                                        "--clear-groups", "--"};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
}

}  // namespace

TEST_CASE("routing.db missing at start: no start, and the reason") {
    temp_dir dir;
    SECTION("the file is missing") {
        auto [rc, out] = run_command(proxy_args(dir.file("routing.db")), 10s);
        INFO(out);
        CHECK(rc == 1);
        CHECK_THAT(out, Catch::Contains("no such file (its directory " + dir.path().string() +
                                        " exists)"));
        CHECK_THAT(out, Catch::Contains("--wait-for-db"));
        CHECK_THAT(out, Catch::Contains("not starting"));
        CHECK_FALSE(std::filesystem::exists(dir.file("routing.db")));  // never created
    }
    SECTION("its directory is missing") {
        auto [rc, out] = run_command(proxy_args(dir.file("state/routing.db")), 10s);
        INFO(out);
        CHECK(rc == 1);
        CHECK_THAT(out, Catch::Contains("directory " + dir.file("state") + " does not exist"));
    }
    SECTION("it is a directory") {
        std::filesystem::create_directory(dir.file("routing.db"));
        auto [rc, out] = run_command(proxy_args(dir.file("routing.db")), 10s);
        INFO(out);
        CHECK(rc == 1);
        CHECK_THAT(out, Catch::Contains("is a directory"));
    }
    SECTION("--check says the same") {
        auto [rc, out] = run_command(proxy_args(dir.file("routing.db"), {"--check"}), 10s);
        CHECK(rc == 1);
        CHECK_THAT(out, Catch::Contains("no such file"));
    }
}

TEST_CASE("routing.db unreadable for the proxy's user: the permission is named") {
    if (::geteuid() == 0 && ::access("/usr/bin/setpriv", X_OK) != 0) {
        WARN("running as root without setpriv: cannot test as another user");
        return;
    }
    temp_dir dir;
    ::chmod(dir.path().c_str(), 0755);
    write_routing_db(dir.file("routing.db"), {{"a", 9}});
    SECTION("the file is not readable") {
        ::chmod(dir.file("routing.db").c_str(), 0600);
        if (::geteuid() != 0) ::chmod(dir.file("routing.db").c_str(), 0000);
        auto [rc, out] = run_command(as_unprivileged(proxy_args(dir.file("routing.db"))), 10s);
        INFO(out);
        CHECK(rc == 1);
        CHECK_THAT(out, Catch::Contains("permission denied: the file (mode 0"));
        CHECK_THAT(out, Catch::Contains("cannot be read by uid"));
    }
    SECTION("its directory cannot be searched") {
        std::filesystem::create_directory(dir.file("private"));
        write_routing_db(dir.file("private/routing.db"), {{"a", 9}});
        ::chmod(dir.file("private").c_str(), 0700);
        if (::geteuid() != 0) ::chmod(dir.file("private").c_str(), 0600);
        auto [rc, out] =
            run_command(as_unprivileged(proxy_args(dir.file("private/routing.db"))), 10s);
        INFO(out);
        CHECK(rc == 1);
        CHECK_THAT(out, Catch::Contains("permission denied: directory " + dir.file("private")));
        if (::geteuid() != 0) ::chmod(dir.file("private").c_str(), 0700);
    }
    SECTION("a WAL database in a directory the proxy may not write") {
        // (Outside a transaction, which exec_sql would open.)
        auto [wrc, wout] =
            run_command({"sqlite3", dir.file("routing.db"), "PRAGMA journal_mode=WAL;"});
        REQUIRE(wrc == 0);
        REQUIRE(wout.find("wal") != std::string::npos);
        std::filesystem::remove(dir.file("routing.db-shm"));
        std::filesystem::remove(dir.file("routing.db-wal"));
        ::chmod(dir.file("routing.db").c_str(), 0644);
        if (::geteuid() != 0) ::chmod(dir.path().c_str(), 0555);
        auto [rc, out] = run_command(as_unprivileged(proxy_args(dir.file("routing.db"))), 10s);
        INFO(out);
        if (::geteuid() != 0) ::chmod(dir.path().c_str(), 0755);
        CHECK(rc == 1);
        CHECK_THAT(out, Catch::Contains("WAL mode"));
        CHECK_THAT(out, Catch::Contains(dir.file("routing.db-shm")));
    }
}

TEST_CASE("--wait-for-db: the proxy waits for the file, then listens and serves") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a");
    child_process proxy(
        proxy_args(dir.file("routing.db"), {"--wait-for-db", "20s", "--reload-interval", "100ms"}),
        spawn_options{{}, std::nullopt, dir.file("edgeproxy.log")});
    REQUIRE(proxy.wait_for_output("waiting up to 20000 ms", 5s));
    CHECK_FALSE(proxy.output().find(" serving: ") != std::string::npos);
    CHECK_FALSE(proxy.output().find("listening on") != std::string::npos);
    // The sync process writes the file beside and renames it into place.
    write_routing_db(dir.file("routing.db.tmp"), {{"a", a.port()}});
    std::filesystem::rename(dir.file("routing.db.tmp"), dir.file("routing.db"));
    auto out = proxy.wait_for_output(" serving: ", 10s);
    REQUIRE(out);
    CHECK_THAT(*out, Catch::Contains("readable after"));
    std::smatch m;
    REQUIRE(std::regex_search(*out, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)")));
    CHECK(first_line_through(static_cast<std::uint16_t>(std::stoi(m[1]))) == "a");
}

TEST_CASE("--wait-for-db with a limit: gives up after it, with the reason") {
    temp_dir dir;
    auto t0 = std::chrono::steady_clock::now();
    auto [rc, out] = run_command(
        proxy_args(dir.file("routing.db"), {"--wait-for-db", "300ms", "--reload-interval", "50ms"}),
        10s);
    INFO(out);
    CHECK(rc == 1);
    CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
    CHECK_THAT(out, Catch::Contains("still unreadable after --wait-for-db 300 ms"));
    CHECK_THAT(out, Catch::Contains("no such file"));
}
