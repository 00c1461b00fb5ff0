// geo/ against MaxMind's own test databases in $EDGE_SHARED_DIR/data/geoip: every network that
// GeoIP2-City-Test.json and GeoIP2-Country-Test.json list resolves to the country the JSON gives,
// and the deliberately broken databases give clear errors, never a crash. Exits 77 (skip) when
// the shared data is absent.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "geo/database_watcher.hpp"
#include "geo/lookup_cache.hpp"
#include "tests/geo/geo_test_support.hpp"

#include <nlohmann/json.hpp>

using namespace edge::geo;
using json = nlohmann::json;

namespace {

// The string at a path of object keys, or "" when any step is missing.
std::string string_at(const json& j, std::initializer_list<const char*> path) {
    const json* at = &j;
    for (const char* k : path) {
        if (!at->is_object() || !at->contains(k)) return {};
        at = &(*at)[k];
    }
    return at->is_string() ? at->get<std::string>() : std::string{};
}

// Each entry of MaxMind's test-data sources is an object of one member: CIDR → record.
const std::string& cidr_of(const json& entry) {
    REQUIRE(entry.size() == 1);
    return entry.begin().key();
}

std::string data_dir;

std::string data(const char* name) {
    return data_dir + "/" + name;
}

// The JSON sources write some networks with host bits set (MaxMind's writer masks them).
ip_network parse_masked(const std::string& text) {
    auto slash = text.find('/');
    auto addr = ip_address::parse(text.substr(0, slash));
    REQUIRE(addr);
    bool v4_text = text.find(':') == std::string::npos;
    unsigned prefix = static_cast<unsigned>(std::stoi(text.substr(slash + 1))) + (v4_text ? 96 : 0);
    for (unsigned i = prefix; i < 128; ++i) {
        addr->bytes[i / 8] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
    }
    return ip_network{*addr, static_cast<std::uint8_t>(prefix)};
}

// An IPv4-compatible network ::a.b.c.d/(96+n) is where MaxMind keeps IPv4 a.b.c.d/n.
bool in_ipv4_subtree(const ip_network& n) {
    if (n.prefix < 96) return false;
    for (int i = 0; i < 12; ++i) {
        if (n.base.bytes[i] != 0) return false;
    }
    return true;
}

ip_address as_ipv4(const ip_address& compat) {
    const std::uint8_t b[4] = {compat.bytes[12], compat.bytes[13], compat.bytes[14],
                               compat.bytes[15]};
    return ip_address::from_v4(b);
}

void check_json_networks(const char* mmdb, const char* json_file) {
    auto db = database::open(data(mmdb));
    REQUIRE(db);
    json doc = json::parse(edge::geo::test::read_all(data(json_file)));
    REQUIRE(doc.is_array());
    std::size_t checked = 0, with_country = 0;
    for (const json& entry : doc) {
        const std::string& cidr = cidr_of(entry);
        const json& rec = entry.begin().value();
        std::string want = string_at(rec, {"country", "iso_code"});
        if (want.empty()) want = string_at(rec, {"registered_country", "iso_code"});
        std::string want_continent = string_at(rec, {"continent", "code"});
        ip_network net = parse_masked(cidr);
        std::vector<ip_address> probes = {net.base, net.last()};
        if (in_ipv4_subtree(net)) {
            probes.push_back(as_ipv4(net.base));
            probes.push_back(as_ipv4(net.last()));
        }
        for (const auto& p : probes) {
            INFO(mmdb << " " << cidr << " probe " << p.str());
            auto got = (*db)->lookup(p);
            REQUIRE(got);
            CHECK(got->country.str() == want);
            CHECK(got->continent.str() == want_continent);
        }
        ++checked;
        if (!want.empty()) ++with_country;
    }
    CHECK(checked == doc.size());
    CHECK(with_country > 200);
    WARN(json_file << ": " << checked << " networks checked, " << with_country
                   << " with a country");
}

}  // namespace

TEST_CASE("GeoIP2-City-Test: every JSON network resolves to its country") {
    check_json_networks("GeoIP2-City-Test.mmdb", "GeoIP2-City-Test.json");
}

TEST_CASE("GeoIP2-Country-Test: every JSON network resolves to its country") {
    check_json_networks("GeoIP2-Country-Test.mmdb", "GeoIP2-Country-Test.json");
}

TEST_CASE("registered_country is the fallback, IPv4-mapped is IPv4, regions follow the map") {
    auto db = database::open(data("GeoIP2-City-Test.mmdb"));
    REQUIRE(db);
    CHECK((*db)->database_type() == "GeoIP2-City");
    // 214.78.120.0/22 has only a registered_country (US) in the City test data.
    auto reg = (*db)->lookup(*ip_address::parse("214.78.120.1"));
    REQUIRE(reg);
    CHECK(reg->country.str() == "US");
    auto v4 = (*db)->lookup(*ip_address::parse("81.2.69.160"));
    auto mapped = (*db)->lookup(*ip_address::parse("::ffff:81.2.69.160"));
    REQUIRE(v4);
    REQUIRE(mapped);
    CHECK(v4->country.str() == "GB");
    CHECK(*v4 == *mapped);

    lookup_cache cache(256);
    const region_map map = default_region_map();
    CHECK(cache.locate(*ip_address::parse("81.2.69.160"), db->get(), map).region.str() == "eu");
    CHECK(cache.locate(*ip_address::parse("2001:218::1"), db->get(), map).region.str() == "ap");
    CHECK(cache.locate(*ip_address::parse("::ffff:81.2.69.160"), db->get(), map).region.str() ==
          "eu");
    CHECK(cache.stats().hits == 1);
    // BT (Bhutan) is outside edgeProxy's map: unknown, unless a continent fallback says.
    CHECK_FALSE(cache.locate(*ip_address::parse("67.43.156.1"), db->get(), map).region.known());
    region_map_builder b;
    REQUIRE(b.set_continents("AS=ap"));
    CHECK(cache.locate(*ip_address::parse("67.43.156.1"), db->get(), b.build()).region.str() ==
          "ap");
}

TEST_CASE("private, loopback and link-local addresses have no geo in MaxMind's databases") {
    for (const char* file : {"GeoIP2-City-Test.mmdb", "GeoIP2-Country-Test.mmdb"}) {
        auto db = database::open(data(file));
        REQUIRE(db);
        for (const char* ip : {"10.0.0.1", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.1.1",
                               "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1"}) {
            INFO(file << " " << ip);
            auto r = (*db)->lookup(*ip_address::parse(ip));
            REQUIRE(r);
            CHECK(*r == record{});
        }
    }
}

TEST_CASE("format corner cases: an IPv4-only tree and a mixed tree") {
    auto v4only = database::open(data("MaxMind-DB-test-ipv4-24.mmdb"));
    REQUIRE(v4only);
    CHECK((*v4only)->ip_version() == 4);
    // An IPv6 client in an IPv4-only database: unknown, not an error.
    auto r6 = (*v4only)->lookup(*ip_address::parse("2001:db8::1"));
    REQUIRE(r6);
    CHECK(*r6 == record{});
    REQUIRE((*v4only)->lookup(*ip_address::parse("1.1.1.1")));
    REQUIRE((*v4only)->lookup(*ip_address::parse("::ffff:1.1.1.1")));

    auto mixed = database::open(data("MaxMind-DB-test-mixed-24.mmdb"));
    REQUIRE(mixed);
    CHECK((*mixed)->ip_version() == 6);
    REQUIRE((*mixed)->lookup(*ip_address::parse("1.1.1.1")));
    REQUIRE((*mixed)->lookup(*ip_address::parse("::1:ffff:ffff")));
}

TEST_CASE("broken databases: clear errors at open, and lookups without a crash") {
    struct broken {
        const char* file;
        db_error_kind kind;
    };
    const broken cases[] = {
        {"GeoIP2-City-Test-Broken-Double-Format.mmdb", db_error_kind::corrupt_data},
        {"GeoIP2-City-Test-Invalid-Node-Count.mmdb", db_error_kind::invalid_metadata},
        {"MaxMind-DB-test-broken-pointers-24.mmdb", db_error_kind::corrupt_data},
        {"MaxMind-DB-test-broken-search-tree-24.mmdb", db_error_kind::corrupt_tree},
    };
    json city = json::parse(edge::geo::test::read_all(data("GeoIP2-City-Test.json")));
    for (const auto& c : cases) {
        INFO(c.file);
        auto db = database::open(data(c.file));
        REQUIRE_FALSE(db);
        CHECK(db.error().kind == c.kind);
        WARN(c.file << ": " << describe(db.error()));

        // Without the open-time checks, every lookup still returns an answer or an error.
        open_options lax;
        lax.verify_records = 0;
        lax.verify_tree = false;
        auto unchecked = database::open(data(c.file), lax);
        if (!unchecked) continue;
        std::size_t errors = 0, answers = 0;
        for (const json& entry : city) {
            ip_network net = parse_masked(cidr_of(entry));
            for (const auto& p : {net.base, net.last()}) {
                if ((*unchecked)->lookup(p))
                    ++answers;
                else
                    ++errors;
            }
        }
        for (std::uint32_t i = 0; i < 4096; ++i) {
            if ((*unchecked)->lookup(ip_address::from_v4(0x01010100u + i * 0x10001u)))
                ++answers;
            else
                ++errors;
        }
        WARN(c.file << " unchecked: " << answers << " answers, " << errors << " lookup errors");
    }
}

TEST_CASE("a broken database replacing a good one leaves the good one in force") {
    edge::geo::test::scratch_dir dir;
    const std::string path = dir.file("GeoIP2-Country.mmdb");
    auto good = edge::geo::test::read_all(data("GeoIP2-Country-Test.mmdb"));
    edge::geo::test::write_all(path, good);
    database_watcher w(path);
    REQUIRE(w.load());
    auto kept = w.current();
    for (const char* file :
         {"GeoIP2-City-Test-Broken-Double-Format.mmdb", "GeoIP2-City-Test-Invalid-Node-Count.mmdb",
          "MaxMind-DB-test-broken-pointers-24.mmdb",
          "MaxMind-DB-test-broken-search-tree-24.mmdb"}) {
        INFO(file);
        auto bytes = edge::geo::test::read_all(data(file));
        edge::geo::test::write_all(path + ".new", bytes);
        std::filesystem::rename(path + ".new", path);
        auto st = w.poll();
        CHECK(st.outcome == reload_outcome::failed);
        CHECK(st.error);
        CHECK(w.current() == kept);
        CHECK(w.current()->lookup(*ip_address::parse("81.2.69.160"))->country.str() == "GB");
    }
    edge::geo::test::write_all(path + ".new",
                               edge::geo::test::read_all(data("GeoIP2-City-Test.mmdb")));
    std::filesystem::rename(path + ".new", path);
    CHECK(w.poll().outcome == reload_outcome::reloaded);
    CHECK(w.current()->database_type() == "GeoIP2-City");
}

int main(int argc, char** argv) {
    std::string shared = edge::geo::test::env("EDGE_SHARED_DIR");
    data_dir = shared + "/data/geoip";
    if (shared.empty() || !std::filesystem::exists(data("GeoIP2-City-Test.mmdb")) ||
        !std::filesystem::exists(data("GeoIP2-Country-Test.json"))) {
        std::printf("SKIP: MaxMind test databases not found in $EDGE_SHARED_DIR/data/geoip (%s)\n",
                    data_dir.c_str());
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
