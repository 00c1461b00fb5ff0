#include "geo/lookup_cache.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/geo/geo_test_support.hpp"

using namespace edge::geo;
using edge::geo::test::build_mmdb;
using edge::geo::test::scratch_dir;
using edge::geo::test::write_all;

namespace {

std::shared_ptr<const database> open_csv(const scratch_dir& dir, const std::string& name,
                                         const std::string& csv) {
    std::string path = dir.file(name);
    write_all(path, build_mmdb(csv));
    auto db = database::open(path);
    if (!db) FAIL(describe(db.error()));
    return *db;
}

ip_address ip(const char* s) {
    return *ip_address::parse(s);
}

}  // namespace

TEST_CASE("cache: a repeat client is a hit with the same answer") {
    scratch_dir dir;
    auto db = open_csv(dir, "a.mmdb", "10.0.0.0/8,BR\n2001:db8::/32,DE\n");
    const region_map map = default_region_map();
    lookup_cache cache(64);
    CHECK(cache.capacity() == 64);

    auto first = cache.locate(ip("10.1.2.3"), db.get(), map);
    CHECK(first.country.str() == "BR");
    CHECK(first.region.str() == "sa");
    CHECK(first.continent.str() == "SA");
    CHECK(cache.stats().misses == 1);
    CHECK(cache.stats().hits == 0);
    auto again = cache.locate(ip("::ffff:10.1.2.3"), db.get(), map);  // same client, mapped form
    CHECK(again == first);
    CHECK(cache.stats().hits == 1);

    // Unknown addresses are cached too.
    CHECK_FALSE(cache.locate(ip("192.0.2.1"), db.get(), map).country.known());
    CHECK_FALSE(cache.locate(ip("192.0.2.1"), db.get(), map).country.known());
    CHECK(cache.stats().hits == 2);
    CHECK(cache.locate(ip("2001:db8::7"), db.get(), map).region.str() == "eu");
}

TEST_CASE("cache: no database means no geo") {
    lookup_cache cache;
    CHECK(cache.locate(ip("10.1.2.3"), nullptr, default_region_map()) == location{});
}

TEST_CASE("cache: a replaced database or region map invalidates every entry") {
    scratch_dir dir;
    auto db1 = open_csv(dir, "1.mmdb", "10.0.0.0/8,BR\n");
    auto db2 = open_csv(dir, "2.mmdb", "10.0.0.0/8,JP\n");
    const region_map map = default_region_map();
    lookup_cache cache(64);
    CHECK(cache.locate(ip("10.0.0.1"), db1.get(), map).country.str() == "BR");
    CHECK(cache.locate(ip("10.0.0.1"), db1.get(), map).country.str() == "BR");
    CHECK(cache.stats().hits == 1);

    CHECK(cache.locate(ip("10.0.0.1"), db2.get(), map).country.str() == "JP");
    CHECK(cache.stats().misses == 2);
    CHECK(cache.locate(ip("10.0.0.1"), db2.get(), map).region.str() == "ap");
    CHECK(cache.stats().hits == 2);

    // A routing reload that rebuilds the same map keeps the entries...
    const region_map same = default_region_map();
    CHECK(cache.locate(ip("10.0.0.1"), db2.get(), same).region.str() == "ap");
    CHECK(cache.stats().hits == 3);
    // ...a changed map does not.
    region_map_builder b;
    REQUIRE(b.set_country("JP", "ap-northeast"));
    const region_map changed = b.build();
    CHECK(cache.locate(ip("10.0.0.1"), db2.get(), changed).region.str() == "ap-northeast");
    CHECK(cache.stats().misses == 3);

    // Going back to an older database is a change too.
    CHECK(cache.locate(ip("10.0.0.1"), db1.get(), changed).country.str() == "BR");
    cache.clear();
    CHECK(cache.locate(ip("10.0.0.1"), db1.get(), changed).country.str() == "BR");
    CHECK(cache.stats().misses == 5);
}

TEST_CASE("cache: colliding addresses in a small cache still get their own answers") {
    scratch_dir dir;
    std::string csv;
    for (int i = 0; i < 256; ++i) {
        csv += "10.0." + std::to_string(i) + ".0/24," + (i % 2 ? "US" : "DE") + "\n";
    }
    auto db = open_csv(dir, "many.mmdb", csv);
    const region_map map = default_region_map();
    lookup_cache cache(16);
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 256; ++i) {
            auto a = ip_address::from_v4((10u << 24) | (static_cast<std::uint32_t>(i) << 8) | 1);
            auto loc = cache.locate(a, db.get(), map);
            REQUIRE(loc.country.str() == (i % 2 ? "US" : "DE"));
        }
    }
    CHECK(cache.stats().hits + cache.stats().misses == 768);
    CHECK(cache.stats().misses >= 256);
}

TEST_CASE("cache: corrupt data is counted once, then cached as unknown") {
    scratch_dir dir;
    auto bytes = build_mmdb("10.0.0.0/8,BR\n");
    // The data section follows the tree (node_count pairs of 24-bit records) and 16 zero
    // bytes; it opens with the record's map, whose first key we turn into a pointer far past the
    // end of the data section.
    write_all(dir.file("good.mmdb"), bytes);
    auto good = database::open(dir.file("good.mmdb"));
    REQUIRE(good);
    const std::size_t data = std::size_t{(*good)->node_count()} * 6 + 16;
    REQUIRE(bytes[data] == 0xe2);  // a map of two pairs
    const std::uint8_t far_pointer[] = {0x38, 0x7f, 0xff, 0xff, 0xff};
    std::copy(std::begin(far_pointer), std::end(far_pointer), bytes.begin() + data + 1);
    std::string path = dir.file("bad.mmdb");
    write_all(path, bytes);
    CHECK_FALSE(database::open(path));  // the open-time check refuses it
    open_options lax;
    lax.verify_records = 0;
    auto db = database::open(path, lax);
    REQUIRE(db);
    CHECK((*db)->lookup(ip("10.0.0.1")).error() == lookup_error::corrupt_data);
    lookup_cache cache(16);
    CHECK(cache.locate(ip("10.0.0.1"), db->get(), default_region_map()) == location{});
    CHECK(cache.locate(ip("10.0.0.1"), db->get(), default_region_map()) == location{});
    CHECK(cache.stats().errors == 1);
    CHECK(cache.stats().hits == 1);
}

TEST_CASE("cache: more distinct regions than the intern table holds") {
    scratch_dir dir;
    std::string csv;
    for (int i = 0; i < 300; ++i) {
        csv += "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24,US,r" +
               std::to_string(i) + "\n";
    }
    auto db = open_csv(dir, "regions.mmdb", csv);
    const region_map map = default_region_map();
    lookup_cache cache(1024);
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < 300; ++i) {
            auto a = ip_address::from_v4((10u << 24) | (static_cast<std::uint32_t>(i) << 8) | 7);
            REQUIRE(cache.locate(a, db.get(), map).region.str() == "r" + std::to_string(i));
        }
    }
}
