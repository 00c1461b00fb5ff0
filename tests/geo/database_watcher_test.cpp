// Hot reload of the GeoIP file: atomic rename, in-place rewrite, corrupt or missing
// replacements (the last good database stays), and the lifetime of a database still in use.
#include "geo/database_watcher.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/geo/geo_test_support.hpp"

using namespace edge::geo;
using edge::geo::test::build_mmdb;
using edge::geo::test::replace_atomically;
using edge::geo::test::scratch_dir;
using edge::geo::test::write_all;

namespace {

std::string country_of(const std::shared_ptr<const database>& db, const char* ip) {
    auto r = db->lookup(*ip_address::parse(ip));
    REQUIRE(r);
    return r->country.str();
}

}  // namespace

TEST_CASE("watcher: first load, unchanged polls, atomic rename") {
    scratch_dir dir;
    const std::string path = dir.file("geo.mmdb");
    write_all(path, build_mmdb("10.0.0.0/8,BR\n"));
    database_watcher w(path);
    REQUIRE(w.load());
    auto first = w.current();
    REQUIRE(first);
    CHECK(country_of(first, "10.0.0.1") == "BR");
    CHECK(w.poll().outcome == reload_outcome::unchanged);
    CHECK(w.poll().outcome == reload_outcome::unchanged);

    replace_atomically(path, build_mmdb("10.0.0.0/8,JP\n"));
    auto st = w.poll();
    CHECK(st.outcome == reload_outcome::reloaded);
    CHECK_FALSE(st.error);
    auto second = w.current();
    CHECK(second != first);
    CHECK(second->generation() > first->generation());
    CHECK(country_of(second, "10.0.0.1") == "JP");
    CHECK(w.reloads() == 1);
    // A worker still holding the old database keeps using it safely.
    CHECK(country_of(first, "10.0.0.1") == "BR");
    CHECK(w.poll().outcome == reload_outcome::unchanged);
}

TEST_CASE("watcher: in-place rewrite is detected; the old copy survives truncation") {
    scratch_dir dir;
    const std::string path = dir.file("geo.mmdb");
    write_all(path, build_mmdb("10.0.0.0/8,BR\n"));
    database_watcher w(path);
    REQUIRE(w.load());
    auto old = w.current();

    // Truncate in place, as a careless `cp` or an editor would, then write new content. With a
    // mapping of the file itself, touching the old database now could be SIGBUS.
    REQUIRE(::truncate(path.c_str(), 0) == 0);
    CHECK(country_of(old, "10.0.0.1") == "BR");
    auto st = w.poll();
    CHECK(st.outcome == reload_outcome::failed);  // an empty file is not a database
    REQUIRE(st.error);
    CHECK(st.error->kind == db_error_kind::invalid_metadata);
    CHECK(w.current() == old);

    write_all(path, build_mmdb("10.0.0.0/8,DE\n"));  // same inode, new content
    CHECK(w.poll().outcome == reload_outcome::reloaded);
    CHECK(country_of(w.current(), "10.0.0.1") == "DE");
    CHECK(country_of(old, "10.0.0.1") == "BR");
}

TEST_CASE("watcher: a corrupt replacement keeps the last good database, reported once") {
    scratch_dir dir;
    const std::string path = dir.file("geo.mmdb");
    auto good = build_mmdb("10.0.0.0/8,BR\n2001:db8::/32,US\n");
    write_all(path, good);
    database_watcher w(path);
    REQUIRE(w.load());
    auto kept = w.current();

    // Garbage.
    replace_atomically(path, std::vector<std::uint8_t>(4096, 0x5a));
    auto st = w.poll();
    CHECK(st.outcome == reload_outcome::failed);
    REQUIRE(st.error);
    CHECK_FALSE(describe(*st.error).empty());
    CHECK(w.current() == kept);
    CHECK(w.poll().outcome == reload_outcome::unchanged);  // same broken file: not again
    CHECK(w.failures() == 1);

    // A good file cut short: the metadata at the end is gone.
    replace_atomically(path,
                       std::vector<std::uint8_t>(good.begin(), good.begin() + good.size() / 2));
    CHECK(w.poll().outcome == reload_outcome::failed);
    CHECK(w.current() == kept);

    // A search-tree record pointing past the data section.
    auto bad_tree = good;
    bad_tree[3] = bad_tree[4] = bad_tree[5] = 0xff;  // root's right record
    replace_atomically(path, bad_tree);
    st = w.poll();
    CHECK(st.outcome == reload_outcome::failed);
    REQUIRE(st.error);
    CHECK(st.error->kind == db_error_kind::corrupt_tree);
    CHECK(w.current() == kept);
    CHECK(country_of(w.current(), "10.0.0.1") == "BR");

    replace_atomically(path, build_mmdb("10.0.0.0/8,AU\n"));
    CHECK(w.poll().outcome == reload_outcome::reloaded);
    CHECK(country_of(w.current(), "10.0.0.1") == "AU");
}

TEST_CASE("watcher: a vanished file keeps the last good database until it returns") {
    scratch_dir dir;
    const std::string path = dir.file("geo.mmdb");
    write_all(path, build_mmdb("10.0.0.0/8,BR\n"));
    database_watcher w(path);
    REQUIRE(w.load());
    auto kept = w.current();
    std::filesystem::remove(path);
    auto st = w.poll();
    CHECK(st.outcome == reload_outcome::vanished);
    REQUIRE(st.error);
    CHECK(st.error->kind == db_error_kind::missing);
    CHECK(w.poll().outcome == reload_outcome::unchanged);
    CHECK(w.current() == kept);
    CHECK(country_of(kept, "10.0.0.1") == "BR");
    write_all(path, build_mmdb("10.0.0.0/8,CA\n"));
    CHECK(w.poll().outcome == reload_outcome::reloaded);
    CHECK(country_of(w.current(), "10.0.0.1") == "CA");
}

TEST_CASE("watcher: missing at start is a clear error; the file may appear later") {
    scratch_dir dir;
    const std::string path = dir.file("later.mmdb");
    database_watcher w(path);
    auto r = w.load();
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == db_error_kind::missing);
    CHECK(describe(r.error()).find("not found") != std::string::npos);
    CHECK_FALSE(w.current());
    CHECK(w.poll().outcome == reload_outcome::unchanged);  // already reported by load()
    write_all(path, build_mmdb("10.0.0.0/8,BR\n"));
    CHECK(w.poll().outcome == reload_outcome::reloaded);
    REQUIRE(w.current());
}

TEST_CASE("database: open errors are clear") {
    scratch_dir dir;
    auto missing = database::open(dir.file("nope.mmdb"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == db_error_kind::missing);
    CHECK(describe(missing.error()) == "file not found: No such file or directory");

    auto directory = database::open(dir.file(""));
    REQUIRE_FALSE(directory);
    CHECK(directory.error().kind == db_error_kind::unreadable);

    write_all(dir.file("text.mmdb"), std::string("hello, not a database\n"));
    auto text = database::open(dir.file("text.mmdb"));
    REQUIRE_FALSE(text);
    CHECK(text.error().kind == db_error_kind::invalid_metadata);
    CHECK(describe(text.error()).find("not a MaxMind DB") == 0);

    if (::geteuid() != 0) {  // root reads anything
        write_all(dir.file("secret.mmdb"), build_mmdb("10.0.0.0/8,BR\n"));
        ::chmod(dir.file("secret.mmdb").c_str(), 0);
        auto denied = database::open(dir.file("secret.mmdb"));
        REQUIRE_FALSE(denied);
        CHECK(denied.error().kind == db_error_kind::unreadable);
    }
}
