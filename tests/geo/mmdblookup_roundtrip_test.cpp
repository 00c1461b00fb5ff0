// Files written by `edgectl geo build` read back identically through Debian's mmdblookup
// (mmdb-bin), the reference tool built on libmaxminddb. Exits 77 (skip) when mmdblookup or
// edgectl is missing.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "tests/geo/geo_test_support.hpp"

using edge::geo::test::run;
using edge::geo::test::scratch_dir;
using edge::geo::test::write_all;

namespace {

std::string edgectl, mmdblookup;

// mmdblookup prints a looked-up string value as `  "BR" <utf8_string>`; "" when not found.
std::string value(const scratch_dir& dir, const std::string& db, const std::string& ip,
                  std::initializer_list<std::string> path) {
    std::vector<std::string> argv = {mmdblookup, "--file", db, "--ip", ip};
    argv.insert(argv.end(), path);
    auto r = run(argv, dir);
    if (r.exit_code != 0) return "";
    auto q1 = r.out.find('"');
    auto q2 = r.out.find('"', q1 + 1);
    if (q1 == std::string::npos || q2 == std::string::npos) return "";
    if (r.out.find("<utf8_string>", q2) == std::string::npos) return "";
    return r.out.substr(q1 + 1, q2 - q1 - 1);
}

std::string find_in_path(const char* name) {
    std::stringstream path(edge::geo::test::env("PATH"));
    std::string d;
    while (std::getline(path, d, ':')) {
        auto p = std::filesystem::path(d) / name;
        if (!d.empty() && ::access(p.c_str(), X_OK) == 0) return p.string();
    }
    return {};
}

}  // namespace

TEST_CASE("edgectl geo build output through mmdblookup") {
    scratch_dir dir;
    write_all(dir.file("nets.csv"), std::string("127.0.0.0/8,US\n"
                                                "127.0.1.0/24,BR,sa-east\n"
                                                "127.0.1.128/25,AR\n"
                                                "10.0.0.0/8,DE,eu\n"
                                                "2001:db8::/32,JP,ap\n"
                                                "2001:db8:ffff::/48,NZ\n"));
    const std::string db = dir.file("g.mmdb");
    REQUIRE(
        run({edgectl, "geo", "build", "--csv", dir.file("nets.csv"), "--out", db}, dir).exit_code ==
        0);

    struct want {
        const char* ip;
        const char* country;
        const char* continent;
        const char* region;
    };
    for (const want& w :
         {want{"127.0.0.1", "US", "NA", ""}, want{"127.255.255.255", "US", "NA", ""},
          want{"127.0.1.0", "BR", "SA", "sa-east"}, want{"127.0.1.127", "BR", "SA", "sa-east"},
          want{"127.0.1.128", "AR", "SA", ""}, want{"127.0.1.255", "AR", "SA", ""},
          want{"::ffff:127.0.1.200", "AR", "SA", ""}, want{"10.20.30.40", "DE", "EU", "eu"},
          want{"2001:db8::1", "JP", "AS", "ap"}, want{"2001:db8:ffff::1", "NZ", "OC", ""},
          want{"192.0.2.1", "", "", ""}, want{"2001:db9::1", "", "", ""}}) {
        INFO(w.ip);
        CHECK(value(dir, db, w.ip, {"country", "iso_code"}) == w.country);
        CHECK(value(dir, db, w.ip, {"continent", "code"}) == w.continent);
        CHECK(value(dir, db, w.ip, {"edge_region"}) == w.region);
    }
    // The metadata mmdblookup shows.
    auto meta = run({mmdblookup, "--file", db, "--ip", "127.0.0.1", "--verbose"}, dir);
    CHECK(meta.out.find("Type:          edgeproxy-geo") != std::string::npos);
    CHECK(meta.out.find("IP version:    IPv6") != std::string::npos);
    CHECK(meta.out.find("Binary format: 2.0") != std::string::npos);
}

int main(int argc, char** argv) {
    edgectl = edge::geo::test::env("EDGECTL_BIN");
    mmdblookup = find_in_path("mmdblookup");
    if (mmdblookup.empty()) {
        std::printf("SKIP: mmdblookup not installed (Debian package mmdb-bin)\n");
        return 77;
    }
    if (edgectl.empty() || !std::filesystem::exists(edgectl)) {
        std::printf("SKIP: EDGECTL_BIN not set or missing (edgectl not built)\n");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
