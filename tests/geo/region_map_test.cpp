#include "geo/region_map.hpp"

#include <catch2/catch.hpp>
#include <string_view>

#include "geo/countries.hpp"

using namespace edge::geo;

namespace {

record rec(std::string_view country, std::string_view continent = {},
           std::string_view region = {}) {
    record r;
    if (!country.empty()) r.country = *country_code::parse(country);
    if (!continent.empty()) r.continent = *continent_code::parse(continent);
    if (!region.empty()) r.region = *region_code::parse(region);
    return r;
}

std::string region(const region_map& m, const record& r) {
    return m.region_of(r).str();
}

}  // namespace

TEST_CASE("edgeProxy's default map") {
    const region_map m = default_region_map();
    for (auto c : {"BR", "AR", "CL", "PE", "CO", "UY", "PY", "BO", "EC", "VE"}) {
        CHECK(region(m, rec(c)) == "sa");
    }
    for (auto c : {"US", "CA", "MX"})
        CHECK(region(m, rec(c)) == "us");
    for (auto c : {"PT", "ES", "FR", "DE", "NL", "IT", "GB", "IE", "BE", "CH", "AT", "PL", "CZ",
                   "SE", "NO", "DK", "FI", "RU", "UA"}) {
        CHECK(region(m, rec(c)) == "eu");
    }
    for (auto c :
         {"JP", "KR", "TW", "HK", "SG", "MY", "TH", "VN", "ID", "PH", "AU", "NZ", "CN", "IN"}) {
        CHECK(region(m, rec(c)) == "ap");
    }
}

TEST_CASE("a country outside the map is unknown, never silently us") {
    const region_map m = default_region_map();
    CHECK(region(m, rec("ZA", "AF")) == "");
    CHECK(region(m, rec("GR", "EU")) == "");
    CHECK(region(m, rec("")) == "");
    CHECK_FALSE(m.region_of(rec("KE")).known());
    const region_map empty;
    CHECK(region(empty, rec("BR")) == "");
}

TEST_CASE("operator overrides replace and extend the defaults") {
    region_map_builder b;
    REQUIRE(b.set_country("BR", "sa-east"));
    REQUIRE(b.set_country("za", "AF-South"));  // case is normalised
    const region_map m = b.build();
    CHECK(region(m, rec("BR")) == "sa-east");
    CHECK(region(m, rec("ZA")) == "af-south");
    CHECK(region(m, rec("AR")) == "sa");

    CHECK(b.set_country("BRA", "sa").error() == region_map_error::bad_country);
    CHECK(b.set_country("B1", "sa").error() == region_map_error::bad_country);
    CHECK(b.set_country("BR", "").error() == region_map_error::bad_region);
    CHECK(b.set_country("BR", "has space").error() == region_map_error::bad_region);
    CHECK(b.set_country("BR", "sixteen-bytes-xx").error() == region_map_error::bad_region);
}

TEST_CASE("continent fallback from a --region-by-continent value") {
    region_map_builder b;
    REQUIRE(b.set_continents("AF=eu,AS=ap,EU=eu,NA=us,OC=ap,SA=sa"));
    const region_map m = b.build();
    CHECK(region(m, rec("ZA", "AF")) == "eu");
    CHECK(region(m, rec("GR", "EU")) == "eu");
    CHECK(region(m, rec("AE", "AS")) == "ap");
    CHECK(region(m, rec("BR", "SA")) == "sa");
    // A country without a continent in the record gets its ISO continent.
    CHECK(region(m, rec("KE")) == "eu");
    // Antarctica has no mapping here: unknown.
    CHECK(region(m, rec("AQ", "AN")) == "");
    // The country map wins over the continent: RU is eu by default, whatever Asia maps to.
    region_map_builder b2;
    REQUIRE(b2.set_continents("EU=europe"));
    CHECK(region(b2.build(), rec("RU", "EU")) == "eu");
}

TEST_CASE("continent fallback parsing errors are all-or-nothing") {
    region_map_builder b;
    CHECK(b.set_continents("AF=eu,XX=ap").error() == region_map_error::bad_continent);
    CHECK(b.set_continents("AF-eu").error() == region_map_error::bad_syntax);
    CHECK(b.set_continents("AF=").error() == region_map_error::bad_region);
    CHECK(b.set_continents("ZZZ=eu").error() == region_map_error::bad_continent);
    CHECK(region(b.build(), rec("ZA", "AF")) == "");  // nothing applied
    REQUIRE(b.set_continents(" AF = eu , ,OC=ap, "));
    CHECK(region(b.build(), rec("ZA", "AF")) == "eu");
    REQUIRE(b.set_continents(""));
}

TEST_CASE("a region in the database record wins") {
    region_map_builder b;
    REQUIRE(b.set_country("BR", "sa-east"));
    REQUIRE(b.set_continents("SA=sa"));
    CHECK(region(b.build(), rec("BR", "SA", "lab")) == "lab");
    CHECK(region(b.build(), rec("", "", "lab")) == "lab");
}

TEST_CASE("fingerprint follows content") {
    CHECK(default_region_map().fingerprint() == default_region_map().fingerprint());
    CHECK(default_region_map() == default_region_map());
    region_map_builder b;
    REQUIRE(b.set_country("ZA", "af"));
    CHECK(b.build().fingerprint() != default_region_map().fingerprint());
    CHECK_FALSE(b.build() == default_region_map());
    CHECK(region_map_builder(false).build().fingerprint() == region_map{}.fingerprint());
    CHECK(region_map_builder(false).build() == region_map{});
    region_map_builder c;
    REQUIRE(c.set_continents("AF=eu"));
    CHECK(c.build().fingerprint() != default_region_map().fingerprint());
}

TEST_CASE("locate keeps country and continent") {
    auto loc = default_region_map().locate(rec("DE", "EU"));
    CHECK(loc.country.str() == "DE");
    CHECK(loc.continent.str() == "EU");
    CHECK(loc.region.str() == "eu");
}

TEST_CASE("country to continent table") {
    CHECK(continent_of(*country_code::parse("BR"))->str() == "SA");
    CHECK(continent_of(*country_code::parse("RU"))->str() == "EU");
    CHECK(continent_of(*country_code::parse("TR"))->str() == "AS");
    CHECK(continent_of(*country_code::parse("EG"))->str() == "AF");
    CHECK(continent_of(*country_code::parse("AQ"))->str() == "AN");
    CHECK(continent_of(*country_code::parse("NZ"))->str() == "OC");
    CHECK(continent_of(*country_code::parse("PA"))->str() == "NA");
    CHECK(continent_of(*country_code::parse("XK"))->str() == "EU");
    CHECK_FALSE(continent_of(*country_code::parse("ZZ")));
    CHECK_FALSE(continent_of(*country_code::parse("EU")));
    CHECK_FALSE(continent_of(country_code{}));
    // 249 ISO 3166-1 codes plus XK, each listed once.
    int n = 0;
    for (char a = 'A'; a <= 'Z'; ++a) {
        for (char b = 'A'; b <= 'Z'; ++b) {
            const char s[2] = {a, b};
            if (continent_of(*country_code::parse(std::string_view(s, 2)))) ++n;
        }
    }
    CHECK(n == 250);
    CHECK(is_continent(*continent_code::parse("OC")));
    CHECK_FALSE(is_continent(*continent_code::parse("XX")));
}
