// Damaged databases never crash the reader: hundreds of truncated and bit-flipped copies of a
// valid file are opened (with and without the open-time checks) and, when they open, looked up.
// Run under the address and undefined-behaviour sanitizers too (build-*-asan).
#include <catch2/catch.hpp>
#include <random>

#include "geo/database.hpp"
#include "tests/geo/geo_test_support.hpp"

using namespace edge::geo;
using edge::geo::test::scratch_dir;
using edge::geo::test::write_all;

TEST_CASE("mutated databases: errors or answers, never a crash") {
    std::string csv;
    for (int i = 0; i < 64; ++i) {
        csv += "10." + std::to_string(i) + ".0.0/16," +
               (i % 3 == 0   ? "BR"
                : i % 3 == 1 ? "DE,eu-x"
                             : "JP") +
               "\n";
        csv += "2001:db8:" + std::to_string(i) + "::/48,US\n";
    }
    const auto good = edge::geo::test::build_mmdb(csv);
    scratch_dir dir;
    const std::string path = dir.file("mutant.mmdb");
    std::mt19937 rng(7);
    int opened = 0, refused = 0, lookup_errors = 0;
    open_options lax;
    lax.verify_records = 0;
    lax.verify_tree = false;
    for (int round = 0; round < 300; ++round) {
        auto bytes = good;
        switch (round % 3) {
            case 0:  // cut anywhere
                bytes.resize(rng() % bytes.size());
                break;
            case 1:  // flip a few bytes anywhere
                for (int k = 0; k < 4; ++k)
                    bytes[rng() % bytes.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
                break;
            default:  // flip bytes in the data section and metadata (the tail)
                for (int k = 0; k < 4; ++k) {
                    bytes[bytes.size() - 1 - rng() % 600] = static_cast<std::uint8_t>(rng());
                }
                break;
        }
        write_all(path, bytes);
        for (const open_options& opts : {open_options{}, lax}) {
            auto db = database::open(path, opts);
            if (!db) {
                ++refused;
                CHECK_FALSE(describe(db.error()).empty());
                continue;
            }
            ++opened;
            for (int i = 0; i < 64; ++i) {
                auto v4 =
                    ip_address::from_v4((10u << 24) | (static_cast<std::uint32_t>(i) << 16) | 1);
                auto v6 = ip_address::parse("2001:db8:" + std::to_string(i) + "::1");
                if (!(*db)->lookup(v4)) ++lookup_errors;
                if (!(*db)->lookup(*v6)) ++lookup_errors;
                (void)(*db)->lookup(ip_address::from_v4(static_cast<std::uint32_t>(rng())));
            }
        }
    }
    // Both outcomes occur, so both paths were exercised.
    CHECK(opened > 0);
    CHECK(refused > 0);
    WARN("mutants: " << opened << " opened, " << refused << " refused, " << lookup_errors
                     << " lookup errors");
}
