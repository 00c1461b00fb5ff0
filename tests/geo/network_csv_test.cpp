#include "geo/network_csv.hpp"

#include <catch2/catch.hpp>

using namespace edge::geo;

TEST_CASE("CSV: networks, countries, regions, comments, header") {
    auto r = parse_network_csv(
        "# private ranges for the demo\n"
        "network,country,region\n"
        "\n"
        "10.0.0.0/8,BR\n"
        "  192.168.1.0/24 , de , eu-central  # office\r\n"
        "2001:db8::/32,jp,\n"
        "203.0.113.9,US\n");
    REQUIRE(r);
    REQUIRE(r->size() == 4);
    const auto& v = *r;
    CHECK(v[0].net.str() == "10.0.0.0/8");
    CHECK(v[0].rec.country.str() == "BR");
    CHECK(v[0].rec.continent.str() == "SA");
    CHECK_FALSE(v[0].rec.region.known());
    CHECK(v[0].line == 4);
    CHECK(v[1].rec.country.str() == "DE");
    CHECK(v[1].rec.region.str() == "eu-central");
    CHECK(v[1].line == 5);
    CHECK(v[2].net.str() == "2001:db8::/32");
    CHECK(v[2].rec.continent.str() == "AS");
    CHECK_FALSE(v[2].rec.region.known());
    CHECK(v[3].net.str() == "203.0.113.9/32");
}

TEST_CASE("CSV: every bad line is reported with its number") {
    auto r = parse_network_csv(
        "10.0.0.0/8,BR\n"            // 1 ok
        "10.0.0.0/33,BR\n"           // 2 bad prefix
        "10.1.0.0/8,BR\n"            // 3 host bits
        "10.0.0.0/8,US\n"            // 4 duplicate of 1
        "11.0.0.0/8\n"               // 5 missing country
        "12.0.0.0/8,B\n"             // 6 bad country
        "13.0.0.0/8,ZZ\n"            // 7 unknown country
        "14.0.0.0/8,US,has space\n"  // 8 bad region
        "15.0.0.0/8,US,eu,x\n"       // 9 too many fields
        "not-an-ip,US\n");           // 10 bad address
    REQUIRE_FALSE(r);
    const auto& e = r.error();
    REQUIRE(e.size() == 9);
    CHECK(e[0].line == 2);
    CHECK(e[0].kind == csv_error_kind::bad_network);
    CHECK(e[0].network == network_error::bad_prefix);
    CHECK(e[1].line == 3);
    CHECK(e[1].network == network_error::host_bits_set);
    CHECK(e[2].line == 4);
    CHECK(e[2].kind == csv_error_kind::duplicate_network);
    CHECK(e[2].other_line == 1);
    CHECK(e[3].kind == csv_error_kind::missing_country);
    CHECK(e[4].kind == csv_error_kind::bad_country);
    CHECK(e[5].kind == csv_error_kind::unknown_country);
    CHECK(e[6].kind == csv_error_kind::bad_region);
    CHECK(e[7].kind == csv_error_kind::too_many_fields);
    CHECK(e[8].kind == csv_error_kind::bad_network);
    CHECK(e[8].network == network_error::bad_address);
    CHECK(describe(e[2]) == "line 4: network already listed on line 1");
    CHECK(describe(e[1]) == "line 3: bad network: address has bits set below the prefix length");
}

TEST_CASE("CSV: error count is bounded and empty input is fine") {
    std::string many;
    for (int i = 0; i < 500; ++i)
        many += "bad\n";
    auto r = parse_network_csv(many, 10);
    REQUIRE_FALSE(r);
    CHECK(r.error().size() == 10);
    auto empty = parse_network_csv("# nothing\n\n");
    REQUIRE(empty);
    CHECK(empty->empty());
}
