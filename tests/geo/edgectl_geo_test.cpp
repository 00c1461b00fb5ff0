// `edgectl geo build` and `edgectl geo lookup`, run as the real binary. Exits 77 (skip) when
// EDGECTL_BIN is not set (edgectl not built).
#define CATCH_CONFIG_RUNNER
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "geo/database.hpp"
#include "tests/geo/geo_test_support.hpp"

using namespace edge::geo;
using edge::geo::test::run;
using edge::geo::test::scratch_dir;
using edge::geo::test::write_all;

namespace {

std::string edgectl;

const char* demo_csv =
    "# demo: loopback sub-ranges mapped to countries\n"
    "127.0.0.0/8,US\n"
    "127.0.1.0/24,BR\n"
    "127.0.2.0/24,DE,eu-central\n"
    "127.0.3.0/24,ZA\n"
    "2001:db8::/32,JP\n"
    "2001:db8:1::/48,AU,ap-south\n";

}  // namespace

TEST_CASE("edgectl geo build writes a database geo/ reads back") {
    scratch_dir dir;
    write_all(dir.file("nets.csv"), std::string(demo_csv));
    auto r = run(
        {edgectl, "geo", "build", "--csv", dir.file("nets.csv"), "--out", dir.file("g.mmdb")}, dir);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("6 networks") != std::string::npos);
    auto db = database::open(dir.file("g.mmdb"));
    REQUIRE(db);
    CHECK((*db)->database_type() == "edgeproxy-geo");
    struct want {
        const char* ip;
        const char* country;
        const char* region;
    };
    for (const want& w : {want{"127.0.0.1", "US", ""}, want{"127.0.1.9", "BR", ""},
                          want{"127.0.2.9", "DE", "eu-central"}, want{"127.0.3.1", "ZA", ""},
                          want{"2001:db8::1", "JP", ""}, want{"2001:db8:1::1", "AU", "ap-south"},
                          want{"::ffff:127.0.1.9", "BR", ""}, want{"10.0.0.1", "", ""}}) {
        INFO(w.ip);
        auto rec = (*db)->lookup(*ip_address::parse(w.ip));
        REQUIRE(rec);
        CHECK(rec->country.str() == w.country);
        CHECK(rec->region.str() == w.region);
    }
}

TEST_CASE("edgectl geo lookup prints country, continent and region") {
    scratch_dir dir;
    write_all(dir.file("nets.csv"), std::string(demo_csv));
    REQUIRE(
        run({edgectl, "geo", "build", "--csv", dir.file("nets.csv"), "--out", dir.file("g.mmdb")},
            dir)
            .exit_code == 0);
    auto r = run({edgectl, "geo", "lookup", dir.file("g.mmdb"), "127.0.1.9", "127.0.2.9",
                  "127.0.3.1", "2001:db8:1::1", "10.0.0.1"},
                 dir);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "127.0.1.9 country=BR continent=SA region=sa\n"
          "127.0.2.9 country=DE continent=EU region=eu-central\n"
          "127.0.3.1 country=ZA continent=AF region=-\n"
          "2001:db8:1::1 country=AU continent=OC region=ap-south\n"
          "10.0.0.1 country=- continent=- region=-\n");

    auto fallback = run({edgectl, "geo", "lookup", "--region-by-continent", "AF=eu",
                         dir.file("g.mmdb"), "127.0.3.1"},
                        dir);
    CHECK(fallback.exit_code == 0);
    CHECK(fallback.out == "127.0.3.1 country=ZA continent=AF region=eu\n");

    auto bad_ip =
        run({edgectl, "geo", "lookup", dir.file("g.mmdb"), "127.0.1.9", "not-an-ip"}, dir);
    CHECK(bad_ip.exit_code == 1);
    CHECK(bad_ip.out == "127.0.1.9 country=BR continent=SA region=sa\n");
    CHECK(bad_ip.err.find("not-an-ip: not an IP address") != std::string::npos);

    auto bad_flag = run({edgectl, "geo", "lookup", "--region-by-continent", "XX=eu",
                         dir.file("g.mmdb"), "127.0.3.1"},
                        dir);
    CHECK(bad_flag.exit_code == 2);
    CHECK(bad_flag.err.find("continent code must be one of") != std::string::npos);
}

TEST_CASE("edgectl geo lookup --db gives the regions the proxy gives (country_regions)") {
    // Before, lookup ignored routing.db's country_regions table and could disagree with the
    // proxy about a client's region; with --db it builds the map the proxy builds.
    scratch_dir dir;
    write_all(dir.file("nets.csv"), std::string(demo_csv));
    REQUIRE(
        run({edgectl, "geo", "build", "--csv", dir.file("nets.csv"), "--out", dir.file("g.mmdb")},
            dir)
            .exit_code == 0);
    REQUIRE(run({edgectl, "init", dir.file("routing.db")}, dir).exit_code == 0);
    REQUIRE(run({"/usr/bin/sqlite3", dir.file("routing.db"),
                 "INSERT INTO country_regions(country, region) VALUES ('BR', 'latam')"},
                dir)
                .exit_code == 0);
    auto r = run({edgectl, "geo", "lookup", "--db", dir.file("routing.db"), dir.file("g.mmdb"),
                  "127.0.1.9", "127.0.0.1"},
                 dir);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "127.0.1.9 country=BR continent=SA region=latam\n"
          "127.0.0.1 country=US continent=NA region=us\n");
    auto missing = run(
        {edgectl, "geo", "lookup", "--db", dir.file("nope.db"), dir.file("g.mmdb"), "127.0.1.9"},
        dir);
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("nope.db") != std::string::npos);
}

TEST_CASE("edgectl geo build reports every bad line and writes nothing") {
    scratch_dir dir;
    write_all(dir.file("bad.csv"),
              std::string("10.0.0.0/8,BR\n10.0.0.0/33,BR\n# ok\n11.0.0.0/8,QQ\n"));
    auto r = run(
        {edgectl, "geo", "build", "--csv", dir.file("bad.csv"), "--out", dir.file("g.mmdb")}, dir);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(dir.file("bad.csv") + ": line 2: bad network") != std::string::npos);
    CHECK(r.err.find(dir.file("bad.csv") + ": line 4: not an ISO 3166-1 country code") !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("g.mmdb")));

    // The same network written as IPv4 and as IPv4-compatible IPv6.
    write_all(dir.file("dup.csv"), std::string("1.2.3.0/24,BR\n::1.2.3.0/120,US\n"));
    auto dup = run(
        {edgectl, "geo", "build", "--csv", dir.file("dup.csv"), "--out", dir.file("g.mmdb")}, dir);
    CHECK(dup.exit_code == 1);
    CHECK(dup.err.find("line 2: network listed twice") != std::string::npos);

    auto missing = run(
        {edgectl, "geo", "build", "--csv", dir.file("none.csv"), "--out", dir.file("g.mmdb")}, dir);
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("cannot read") != std::string::npos);
}

TEST_CASE("edgectl geo: usage errors and unreadable databases") {
    scratch_dir dir;
    CHECK(run({edgectl, "geo"}, dir).exit_code == 2);
    CHECK(run({edgectl, "geo", "frobnicate"}, dir).exit_code == 2);
    CHECK(run({edgectl, "geo", "build", "--csv", "x.csv"}, dir).exit_code == 2);
    CHECK(run({edgectl, "geo", "lookup", dir.file("g.mmdb")}, dir).exit_code == 2);
    auto missing = run({edgectl, "geo", "lookup", dir.file("g.mmdb"), "1.2.3.4"}, dir);
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("file not found") != std::string::npos);
    write_all(dir.file("junk.mmdb"), std::string(1000, 'x'));
    auto junk = run({edgectl, "geo", "lookup", dir.file("junk.mmdb"), "1.2.3.4"}, dir);
    CHECK(junk.exit_code == 1);
    CHECK(junk.err.find("not a MaxMind DB") != std::string::npos);
}

TEST_CASE("edgectl geo build replaces the output atomically") {
    scratch_dir dir;
    write_all(dir.file("a.csv"), std::string("10.0.0.0/8,BR\n"));
    write_all(dir.file("b.csv"), std::string("10.0.0.0/8,JP\n"));
    REQUIRE(
        run({edgectl, "geo", "build", "--csv", dir.file("a.csv"), "--out", dir.file("g.mmdb")}, dir)
            .exit_code == 0);
    struct stat before {};
    REQUIRE(::stat(dir.file("g.mmdb").c_str(), &before) == 0);
    REQUIRE(
        run({edgectl, "geo", "build", "--csv", dir.file("b.csv"), "--out", dir.file("g.mmdb")}, dir)
            .exit_code == 0);
    struct stat after {};
    REQUIRE(::stat(dir.file("g.mmdb").c_str(), &after) == 0);
    CHECK(before.st_ino != after.st_ino);  // a new file renamed into place, not a rewrite
    auto db = database::open(dir.file("g.mmdb"));
    REQUIRE(db);
    CHECK((*db)->lookup(*ip_address::parse("10.1.1.1"))->country.str() == "JP");
    // No temporary files left behind.
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.file(""))) {
        (void)e;
        ++files;
    }
    CHECK(files == 5);  // a.csv b.csv g.mmdb stdout.txt stderr.txt
}

int main(int argc, char** argv) {
    edgectl = edge::geo::test::env("EDGECTL_BIN");
    if (edgectl.empty() || !std::filesystem::exists(edgectl)) {
        std::printf("SKIP: EDGECTL_BIN not set or missing (edgectl not built)\n");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
