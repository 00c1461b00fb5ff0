// The access log's line formats: every field in its place, values that need quoting quoted, and
// one record always one line (an id with a newline or quote cannot split or fake a line).

#include <catch2/catch.hpp>

#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/access_log/line_format.hpp"

using namespace edge;
using namespace edge::engine;

namespace {

access_record sample() {
    access_record r;
    r.accept_ns = 5'000'000'000ull;  // monotonic 5 s
    r.end_ns = r.accept_ns + 152'250'000ull;
    r.bytes_up = 1536;
    r.bytes_down = 20480;
    r.client = *parse_socket_address("198.51.100.7:40312");
    r.backend = *parse_socket_address("10.0.0.5:8080");
    r.country = *geo::country_code::parse("DE");
    r.region = *geo::region_code::parse("eu");
    r.connect_us = 412;
    r.listener = 1;
    r.attempts = 1;
    r.end = termination::normal;
    const char* id = "eu-1";
    std::memcpy(r.backend_id, id, 4);
    r.id_length = 4;
    return r;
}

std::string line(access_log_format f, const access_record& r) {
    line_formatter fmt(f, {"0.0.0.0:8080", "[::]:8443"});
    // Wall clock = monotonic + offset: 5 s monotonic is 2025-01-02T03:04:05.000Z.
    fmt.set_clock_offset(1735787040ll * 1000000000ll);
    std::string out;
    fmt.append(r, out);
    return out;
}

}  // namespace

TEST_CASE("text lines are logfmt with every field") {
    CHECK(line(access_log_format::text, sample()) ==
          "time=2025-01-02T03:04:05.000Z client=198.51.100.7:40312 listener=[::]:8443 "
          "country=DE region=eu backend=eu-1 backend_addr=10.0.0.5:8080 attempts=1 "
          "connect_ms=0.412 bytes_up=1536 bytes_down=20480 duration_ms=152.250 term=-- "
          "reason=normal\n");
}

TEST_CASE("a refused client has dashes where it reached nothing") {
    access_record r = sample();
    r.id_length = 0;
    r.backend = {};
    r.attempts = 0;
    r.connect_us = 0;
    r.bytes_up = r.bytes_down = 0;
    r.country = {};
    r.region = {};
    r.end = termination::no_backend;
    std::string l = line(access_log_format::text, r);
    CHECK_THAT(l, Catch::Contains(" country=- region=- backend=- backend_addr=- attempts=0 "
                                  "connect_ms=- bytes_up=0 bytes_down=0 "));
    CHECK_THAT(l, Catch::EndsWith(" term=SC reason=no_backend\n"));
}

TEST_CASE("every termination has a name and a two-character HAProxy state") {
    for (std::size_t i = 0; i < std::size_t(termination::count_); ++i) {
        CHECK(std::strlen(termination_flags[i]) == 2);
        CHECK(std::strlen(termination_names[i]) > 0);
    }
    CHECK(to_termination(close_reason::client_error) == termination::client_reset);
    CHECK(to_termination(close_reason::drain_timeout) == termination::drain);
    CHECK(to_termination(reject_reason::connect_failed) == termination::connect_failed);
    CHECK(to_termination(reject_reason::header_timeout) == termination::header_timeout);
}

TEST_CASE("an id with spaces, quotes or a newline stays one quoted value on one line") {
    access_record r = sample();
    const char* id = "a b\"c\nd";
    std::memcpy(r.backend_id, id, std::strlen(id));
    r.id_length = static_cast<std::uint8_t>(std::strlen(id));
    std::string l = line(access_log_format::text, r);
    CHECK_THAT(l, Catch::Contains(" backend=\"a b\\\"c\\x0ad\" "));
    CHECK(l.find('\n') == l.size() - 1);
    std::string j = line(access_log_format::json, r);
    CHECK(j.find('\n') == j.size() - 1);
    CHECK(nlohmann::json::parse(j)["backend"] == "a b\"c\nd");
}

TEST_CASE("a cut id is marked") {
    access_record r = sample();
    r.id_cut = true;
    CHECK_THAT(line(access_log_format::text, r), Catch::Contains(" backend=eu-1~ "));
}

TEST_CASE("json lines are one object each with typed fields") {
    std::string l = line(access_log_format::json, sample());
    REQUIRE(l.back() == '\n');
    auto j = nlohmann::json::parse(l);
    CHECK(j["time"] == "2025-01-02T03:04:05.000Z");
    CHECK(j["client"] == "198.51.100.7");
    CHECK(j["client_port"] == 40312);
    CHECK(j["listener"] == "[::]:8443");
    CHECK(j["country"] == "DE");
    CHECK(j["region"] == "eu");
    CHECK(j["backend"] == "eu-1");
    CHECK(j["backend_addr"] == "10.0.0.5:8080");
    CHECK(j["attempts"] == 1);
    CHECK(j["connect_ms"].get<double>() == Approx(0.412));
    CHECK(j["bytes_up"] == 1536);
    CHECK(j["bytes_down"] == 20480);
    CHECK(j["duration_ms"].get<double>() == Approx(152.25));
    CHECK(j["term"] == "--");
    CHECK(j["reason"] == "normal");

    access_record r = sample();
    r.id_length = 0;
    r.backend = {};
    r.connect_us = 0;
    r.country = {};
    auto refused = nlohmann::json::parse(line(access_log_format::json, r));
    CHECK(refused["backend"].is_null());
    CHECK(refused["backend_addr"].is_null());
    CHECK(refused["connect_ms"].is_null());
    CHECK(refused["country"].is_null());
}

TEST_CASE("an IPv6 client prints bracketed in text and bare in json") {
    access_record r = sample();
    r.client = *parse_socket_address("[2001:db8::7]:5000");
    CHECK_THAT(line(access_log_format::text, r), Catch::Contains(" client=[2001:db8::7]:5000 "));
    auto j = nlohmann::json::parse(line(access_log_format::json, r));
    CHECK(j["client"] == "2001:db8::7");
    CHECK(j["client_port"] == 5000);
}
