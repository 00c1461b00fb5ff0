// Row validation: every reason a backends row is rejected, and the normalisations applied to
// rows that pass.

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include "routing/address.hpp"
#include "routing/row_validation.hpp"

using namespace edge::routing;

namespace {

raw_row good_row() {
    raw_row r;
    r.rowid = 7;
    r.id = db_value::of(std::string("sa-1"));
    r.app = db_value::of(std::string("app"));
    r.region = db_value::of(std::string("sa"));
    r.country = db_value::of(std::string("BR"));
    r.wg_ip = db_value::of(std::string("10.0.0.1"));
    r.port = db_value::of(std::int64_t{8080});
    r.healthy = db_value::of(std::int64_t{1});
    r.weight = db_value::of(std::int64_t{2});
    r.soft_limit = db_value::of(std::int64_t{100});
    r.hard_limit = db_value::of(std::int64_t{200});
    r.deleted = db_value::of(std::int64_t{0});
    return r;
}

std::string reject_reason(const raw_row& r) {
    address_resolver res;
    auto v = validate_row(r, res);
    REQUIRE_FALSE(v.has_value());
    return v.error();
}

backend accept(const raw_row& r) {
    address_resolver res;
    auto v = validate_row(r, res);
    if (!v) FAIL("rejected: " << v.error());
    REQUIRE(v->has_value());
    return **v;
}

}  // namespace

TEST_CASE("a good row becomes a backend", "[validation]") {
    backend b = accept(good_row());
    CHECK(b.id == "sa-1");
    CHECK(b.app == "app");
    CHECK(b.region == *edge::geo::region_code::parse("sa"));
    CHECK(b.country == *edge::geo::country_code::parse("BR"));
    CHECK(to_string(b.address) == "10.0.0.1:8080");
    CHECK(b.weight == 2);
    CHECK(b.soft_limit == 100);
    CHECK(b.hard_limit == 200);
    CHECK(b.healthy);
}

TEST_CASE("deleted NULL or 0 is active, anything else is skipped", "[validation]") {
    raw_row r = good_row();
    r.deleted = db_value::null();
    CHECK(accept(r).id == "sa-1");
    r.deleted = db_value::of(std::string("0"));
    CHECK(accept(r).id == "sa-1");
    for (std::int64_t d : {1, 2, -1}) {
        r.deleted = db_value::of(d);
        address_resolver res;
        auto v = validate_row(r, res);
        REQUIRE(v.has_value());
        CHECK_FALSE(v->has_value());
    }
    r.deleted = db_value::of(std::string("yes"));
    CHECK(reject_reason(r) == "deleted 'yes' is not an integer");
}

TEST_CASE("NULL where a value is needed rejects the row", "[validation]") {
    struct field {
        db_value raw_row::*member;
        const char* reason;
    };
    for (auto [m, reason] :
         {field{&raw_row::id, "id is NULL"}, field{&raw_row::region, "region is NULL"},
          field{&raw_row::wg_ip, "wg_ip is NULL"}, field{&raw_row::port, "port is NULL"},
          field{&raw_row::healthy, "healthy is NULL"}, field{&raw_row::weight, "weight is NULL"},
          field{&raw_row::soft_limit, "soft_limit is NULL"},
          field{&raw_row::hard_limit, "hard_limit is NULL"}}) {
        raw_row r = good_row();
        r.*m = db_value::null();
        CHECK(reject_reason(r) == reason);
    }
    // NULL app and country are allowed: app is informational, country is then unknown.
    raw_row r = good_row();
    r.app = db_value::null();
    r.country = db_value::null();
    backend b = accept(r);
    CHECK(b.app.empty());
    CHECK_FALSE(b.country.known());
}

TEST_CASE("a bad id is named by rowid", "[validation]") {
    raw_row r = good_row();
    r.id = db_value::null();
    CHECK(row_label(r) == "rowid 7");
    r.id = db_value::of(std::string("  "));
    CHECK(row_label(r) == "rowid 7");
    CHECK(reject_reason(r) == "id is empty");
    r.id = db_value::of(std::int64_t{42});  // integer ids are accepted as text
    CHECK(accept(r).id == "42");
    CHECK(row_label(r) == "42");
}

TEST_CASE("port outside 1-65535 or not an integer", "[validation]") {
    raw_row r = good_row();
    r.port = db_value::of(std::int64_t{0});
    CHECK(reject_reason(r) == "port 0 is outside 1-65535");
    r.port = db_value::of(std::int64_t{65536});
    CHECK(reject_reason(r) == "port 65536 is outside 1-65535");
    r.port = db_value::of(std::int64_t{-80});
    CHECK(reject_reason(r) == "port -80 is outside 1-65535");
    r.port = db_value::of(std::string("http"));
    CHECK(reject_reason(r) == "port 'http' is not an integer");
    r.port = db_value::of_real(80.5);
    CHECK(reject_reason(r) == "port 80.5 is not an integer");
    r.port = db_value::of(std::string(" 443 "));  // text holding an integer is fine
    CHECK(to_string(accept(r).address) == "10.0.0.1:443");
    r.port = db_value::of(std::int64_t{65535});
    CHECK(to_string(accept(r).address) == "10.0.0.1:65535");
}

TEST_CASE("negative weight or limits", "[validation]") {
    raw_row r = good_row();
    r.weight = db_value::of(std::int64_t{-1});
    CHECK(reject_reason(r) == "weight -1 is negative");
    r = good_row();
    r.soft_limit = db_value::of(std::int64_t{-5});
    CHECK(reject_reason(r) == "soft_limit -5 is negative");
    r = good_row();
    r.hard_limit = db_value::of(std::int64_t{-2});
    CHECK(reject_reason(r) == "hard_limit -2 is negative");
    r = good_row();
    r.hard_limit = db_value::of(std::int64_t{5'000'000'000});
    CHECK(reject_reason(r) == "hard_limit 5000000000 is larger than 4294967295");
}

TEST_CASE("zero weight and soft_limit count as 1, zero hard_limit is unlimited", "[validation]") {
    raw_row r = good_row();
    r.weight = db_value::of(std::int64_t{0});
    r.soft_limit = db_value::of(std::int64_t{0});
    r.hard_limit = db_value::of(std::int64_t{0});
    backend b = accept(r);
    CHECK(b.weight == 1);
    CHECK(b.soft_limit == 1);
    CHECK(b.hard_limit == 0);
}

TEST_CASE("unparseable address", "[validation]") {
    raw_row r = good_row();
    for (const char* bad : {"10.0.0.256", "10.1", "not an ip", "fd00::1::2", "", "a..b", "[::1"}) {
        r.wg_ip = db_value::of(std::string(bad));
        CHECK(reject_reason(r) ==
              std::string("wg_ip '") + bad + "' is not an IP address or host name");
    }
    r.wg_ip = db_value::of(std::int64_t{167772161});
    CHECK(reject_reason(r) == "wg_ip 167772161 is not an IP address or host name");
}

TEST_CASE("IPv6 literals, with or without brackets", "[validation]") {
    raw_row r = good_row();
    r.wg_ip = db_value::of(std::string("fd00::1"));
    CHECK(to_string(accept(r).address) == "[fd00::1]:8080");
    r.wg_ip = db_value::of(std::string("[::1]"));
    backend b = accept(r);
    CHECK(to_string(b.address) == "[::1]:8080");
    CHECK(b.address.len == sizeof(sockaddr_in6));
}

TEST_CASE("host names resolve, or reject the row", "[validation]") {
    raw_row r = good_row();
    r.wg_ip = db_value::of(std::string("localhost"));
    backend b = accept(r);
    std::string a = to_string(b.address);
    CHECK((a == "127.0.0.1:8080" || a == "[::1]:8080"));
    // .invalid never resolves (RFC 6761).
    r.wg_ip = db_value::of(std::string("no-such-backend.invalid"));
    CHECK(reject_reason(r).rfind("wg_ip host name 'no-such-backend.invalid' does not resolve", 0) ==
          0);
}

TEST_CASE("region: case-insensitive, kept as given, bounded", "[validation]") {
    raw_row r = good_row();
    r.region = db_value::of(std::string("US-East"));
    CHECK(accept(r).region.str() == "us-east");
    r.region = db_value::of(std::string("mars"));  // unknown names are kept, not mapped
    CHECK(accept(r).region.str() == "mars");
    r.region = db_value::of(std::string("a-very-long-region"));
    CHECK(reject_reason(r) == "region 'a-very-long-region' is longer than 15 bytes");
    r.region = db_value::of(std::string("north america"));
    CHECK(reject_reason(r) == "region 'north america' has invalid characters");
    r.region = db_value::of(std::string(""));
    CHECK(reject_reason(r) == "region is empty");
}

TEST_CASE("country: two letters, either case; empty is unknown", "[validation]") {
    raw_row r = good_row();
    r.country = db_value::of(std::string("br"));
    CHECK(accept(r).country == *edge::geo::country_code::parse("BR"));
    r.country = db_value::of(std::string(""));
    CHECK_FALSE(accept(r).country.known());
    r.country = db_value::of(std::string("BRA"));
    CHECK(reject_reason(r) == "country 'BRA' is not a two-letter code");
}

TEST_CASE("healthy: any integer, nonzero is healthy", "[validation]") {
    raw_row r = good_row();
    r.healthy = db_value::of(std::int64_t{0});
    CHECK_FALSE(accept(r).healthy);
    r.healthy = db_value::of(std::string("1"));
    CHECK(accept(r).healthy);
    r.healthy = db_value::of(std::string("true"));
    CHECK(reject_reason(r) == "healthy 'true' is not an integer");
}

TEST_CASE("control characters in a text column reject the row; labels stay one line",
          "[validation][control]") {
    // A newline in an id would print as a forged line in the proxy's log (issue 11, item 5).
    raw_row r = good_row();
    r.id = db_value::of(std::string("eu-1\n2026-01-01 INFO all good"));
    std::string why = reject_reason(r);
    CHECK(why == "id contains a control character (newline)");
    CHECK(row_label(r) == "eu-1\\n2026-01-01 INFO all good");
    r = good_row();
    r.app = db_value::of(std::string("app\x1b[31m"));
    CHECK(reject_reason(r).find("app 'app\\x1b[31m' contains a control character (0x1b)") !=
          std::string::npos);
    r = good_row();
    r.region = db_value::of(std::string("sa\t"));
    CHECK(reject_reason(r).find("contains a control character (tab)") != std::string::npos);
    r = good_row();
    r.wg_ip = db_value::of(std::string("10.0.0.1\r"));
    CHECK(reject_reason(r).find("control character (carriage return)") != std::string::npos);
    r = good_row();
    r.country = db_value::of(std::string("B\x7f"));
    CHECK(reject_reason(r).find("control character (0x7f)") != std::string::npos);
    // UTF-8 text is not a control character.
    r = good_row();
    r.app = db_value::of(std::string("café"));
    CHECK(accept(r).app == "café");
}
