// The writer's files read back identically through geo::database and through libmaxminddb
// itself, for every record size, with overlapping networks in any order.
#include "geo/mmdb_writer.hpp"

#include <maxminddb.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "geo/countries.hpp"
#include "geo/database.hpp"
#include "tests/geo/geo_test_support.hpp"

using namespace edge::geo;
using edge::geo::test::scratch_dir;

namespace {

// libmaxminddb's own answer for `ip`: the string at `path` or "" (not found / no such field).
std::string raw_lookup(const std::string& file, const std::string& ip,
                       std::initializer_list<const char*> path) {
    MMDB_s mmdb;
    REQUIRE(MMDB_open(file.c_str(), MMDB_MODE_MMAP, &mmdb) == MMDB_SUCCESS);
    int gai = 0, err = 0;
    auto res = MMDB_lookup_string(&mmdb, ip.c_str(), &gai, &err);
    std::string out;
    REQUIRE(gai == 0);
    REQUIRE(err == MMDB_SUCCESS);
    if (res.found_entry) {
        std::vector<const char*> p(path);
        p.push_back(nullptr);
        MMDB_entry_data_s data{};
        if (MMDB_aget_value(&res.entry, &data, p.data()) == MMDB_SUCCESS && data.has_data &&
            data.type == MMDB_DATA_TYPE_UTF8_STRING) {
            out.assign(data.utf8_string, data.data_size);
        }
    }
    MMDB_close(&mmdb);
    return out;
}

record make_record(std::string_view country, std::string_view region = {}) {
    record r;
    r.country = *country_code::parse(country);
    r.continent = *continent_of(r.country);
    if (!region.empty()) r.region = *region_code::parse(region);
    return r;
}

std::shared_ptr<const database> open_bytes(const scratch_dir& dir, const std::string& name,
                                           const std::vector<std::uint8_t>& bytes) {
    std::string path = dir.file(name);
    edge::geo::test::write_all(path, bytes);
    auto db = database::open(path);
    INFO(path);
    if (!db) FAIL(describe(db.error()));
    return *db;
}

}  // namespace

TEST_CASE("writer: a small database reads back through geo and libmaxminddb") {
    scratch_dir dir;
    mmdb_writer w;
    REQUIRE(w.insert(*ip_network::parse("127.0.0.0/8"), make_record("US")));
    REQUIRE(w.insert(*ip_network::parse("127.0.1.0/24"), make_record("BR", "sa-east")));
    REQUIRE(w.insert(*ip_network::parse("2001:db8::/32"), make_record("JP")));
    CHECK(w.insert(*ip_network::parse("127.0.0.0/8"), make_record("DE")).error() ==
          write_error::duplicate_network);
    writer_options opts;
    opts.database_type = "edgeproxy-test";
    opts.build_epoch = 1700000000;
    auto bytes = w.serialize(opts);
    REQUIRE(bytes);
    auto db = open_bytes(dir, "small.mmdb", *bytes);
    CHECK(db->database_type() == "edgeproxy-test");
    CHECK(db->build_epoch() == 1700000000u);
    CHECK(db->ip_version() == 6);

    auto us = db->lookup(*ip_address::parse("127.0.0.1"));
    REQUIRE(us);
    CHECK(us->country.str() == "US");
    CHECK(us->continent.str() == "NA");
    CHECK_FALSE(us->region.known());
    auto br = db->lookup(*ip_address::parse("127.0.1.200"));
    REQUIRE(br);
    CHECK(br->country.str() == "BR");
    CHECK(br->region.str() == "sa-east");
    CHECK(db->lookup(*ip_address::parse("2001:db8:1::1"))->country.str() == "JP");
    CHECK(*db->lookup(*ip_address::parse("128.0.0.1")) == record{});
    CHECK(*db->lookup(*ip_address::parse("2001:db9::1")) == record{});

    const std::string f = dir.file("small.mmdb");
    CHECK(raw_lookup(f, "127.0.1.5", {"country", "iso_code"}) == "BR");
    CHECK(raw_lookup(f, "127.0.1.5", {"continent", "code"}) == "SA");
    CHECK(raw_lookup(f, "127.0.1.5", {"edge_region"}) == "sa-east");
    CHECK(raw_lookup(f, "127.0.2.5", {"country", "iso_code"}) == "US");
    // IPv4-mapped, walked as IPv6 by libmaxminddb: the ::ffff:0:0/96 alias finds the IPv4 tree.
    CHECK(raw_lookup(f, "::ffff:127.0.1.5", {"country", "iso_code"}) == "BR");
    // IPv4-compatible ::a.b.c.d is where the IPv4 tree lives, as in MaxMind's files.
    CHECK(raw_lookup(f, "::127.0.1.5", {"country", "iso_code"}) == "BR");
    CHECK(raw_lookup(f, "2001:db8::5", {"country", "iso_code"}) == "JP");
    CHECK(raw_lookup(f, "10.0.0.1", {"country", "iso_code"}) == "");
}

TEST_CASE("writer: /0 networks, IPv4 and IPv6") {
    scratch_dir dir;
    mmdb_writer w;
    REQUIRE(w.insert(*ip_network::parse("0.0.0.0/0"), make_record("US")));
    REQUIRE(w.insert(*ip_network::parse("::/0"), make_record("DE")));
    REQUIRE(w.insert(*ip_network::parse("10.0.0.0/8"), make_record("FR")));
    auto db = open_bytes(dir, "zero.mmdb", *w.serialize());
    CHECK(db->lookup(*ip_address::parse("1.2.3.4"))->country.str() == "US");
    CHECK(db->lookup(*ip_address::parse("10.2.3.4"))->country.str() == "FR");
    CHECK(db->lookup(*ip_address::parse("2001:db8::1"))->country.str() == "DE");
    CHECK(raw_lookup(dir.file("zero.mmdb"), "::ffff:10.0.0.1", {"country", "iso_code"}) == "FR");
}

TEST_CASE("writer: metadata strings of every size class") {
    scratch_dir dir;
    for (std::size_t len : {0u, 28u, 29u, 284u, 285u, 65820u, 65821u, 70000u}) {
        mmdb_writer w;
        REQUIRE(w.insert(*ip_network::parse("192.0.2.0/24"), make_record("NL")));
        writer_options opts;
        opts.description = std::string(len, 'd');
        opts.database_type = std::string(len % 50, 't');
        auto bytes = w.serialize(opts);
        REQUIRE(bytes);
        std::string path = dir.file("meta.mmdb");
        edge::geo::test::write_all(path, *bytes);
        MMDB_s mmdb;
        REQUIRE(MMDB_open(path.c_str(), MMDB_MODE_MMAP, &mmdb) == MMDB_SUCCESS);
        REQUIRE(mmdb.metadata.description.count == 1);
        CHECK(std::string(mmdb.metadata.description.descriptions[0]->description) ==
              opts.description);
        CHECK(std::string(mmdb.metadata.database_type) == opts.database_type);
        CHECK(mmdb.metadata.languages.count == 1);
        MMDB_close(&mmdb);
    }
}

TEST_CASE("writer: random overlapping networks match a longest-prefix model, all record sizes") {
    std::mt19937_64 rng(20240611);
    const char* countries[] = {"US", "BR", "DE", "JP", "AU", "ZA", "FR", "IN", "CA", "MX"};
    const char* regions[] = {"", "", "a", "b-1", "fifteen-bytes-x"};
    struct item {
        ip_network net;
        record rec;
    };
    std::vector<item> items;
    mmdb_writer w;
    auto random_address = [&](bool v4) {
        std::uint8_t b[16];
        for (auto& x : b)
            x = static_cast<std::uint8_t>(rng());
        if (v4) {
            // Cluster IPv4 in 10.0.0.0/14 so that networks overlap often.
            return ip_address::from_v4((10u << 24) | (static_cast<std::uint32_t>(rng()) & 0x3ffff));
        }
        b[0] = 0x20;
        b[1] = 0x01;
        b[2] = 0x0d;
        b[3] = static_cast<std::uint8_t>(0xb8 + (rng() & 1));
        return ip_address::from_v6(b);
    };
    while (items.size() < 600) {
        bool v4 = rng() % 2;
        ip_address a = random_address(v4);
        unsigned prefix = v4 ? 96 + 8 + static_cast<unsigned>(rng() % 25)
                             : 16 + static_cast<unsigned>(rng() % 113);
        for (unsigned i = prefix; i < 128; ++i)
            a.bytes[i / 8] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
        ip_network net{a, static_cast<std::uint8_t>(prefix)};
        record rec = make_record(countries[rng() % 10], regions[rng() % 5]);
        if (w.insert(net, rec)) items.push_back({net, rec});
    }
    auto model = [&](const ip_address& a) {
        const item* best = nullptr;
        for (const auto& it : items) {
            if (it.net.contains(a) && (!best || it.net.prefix > best->net.prefix)) best = &it;
        }
        return best ? best->rec : record{};
    };
    std::vector<ip_address> probes;
    for (const auto& it : items) {
        probes.push_back(it.net.base);
        probes.push_back(it.net.last());
    }
    for (int i = 0; i < 2000; ++i)
        probes.push_back(random_address(rng() % 2));

    scratch_dir dir;
    for (unsigned size : {0u, 28u, 32u}) {
        writer_options opts;
        opts.record_size = size;
        auto db = open_bytes(dir, "random.mmdb", *w.serialize(opts));
        for (const auto& p : probes) {
            auto got = db->lookup(p);
            REQUIRE(got);
            INFO(p.str() << " record size " << size);
            REQUIRE(*got == model(p));
        }
    }
}
