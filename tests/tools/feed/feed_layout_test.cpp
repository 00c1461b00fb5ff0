// The etcd key layout and its JSON rows (tools/feed/feed_layout) and the gateway's encoding
// (tools/feed/etcd_json): strict JSON types, per-key rejection reasons, and round trips.

#include <catch2/catch.hpp>

#include "tools/feed/etcd_json.hpp"
#include "tools/feed/feed_layout.hpp"

using namespace edge::feed;
using edge::routing::db_value;

namespace {

const std::string prefix = default_prefix;

std::string problem(feed_table t, const std::string& name, const std::string& value) {
    auto r = decode_value({t, name}, value);
    REQUIRE_FALSE(r.has_value());
    return r.error();
}

edge::routing::raw_row backend(const std::string& value) {
    auto r = decode_value({feed_table::backends, "eu-1"}, value);
    if (!r) FAIL("rejected: " << r.error());
    return std::get<edge::routing::raw_row>(*r);
}

}  // namespace

TEST_CASE("keys: table folder and name under the prefix", "[feed]") {
    auto k = parse_feed_key(prefix, "/edgeproxy/v1/backends/eu-1");
    REQUIRE(k);
    CHECK(k->table == feed_table::backends);
    CHECK(k->name == "eu-1");
    // A public key in base64 holds '/': the name is the whole rest of the key.
    auto peer = parse_feed_key(prefix, "/edgeproxy/v1/wg_peers/ab/cd+ef=");
    REQUIRE(peer);
    CHECK(peer->table == feed_table::wg_peers);
    CHECK(peer->name == "ab/cd+ef=");
    CHECK_FALSE(parse_feed_key(prefix, "/edgeproxy/v2/backends/eu-1"));
    CHECK_FALSE(parse_feed_key(prefix, "/edgeproxy/v1/backends/"));
    CHECK_FALSE(parse_feed_key(prefix, "/edgeproxy/v1/frontends/x"));
    CHECK(feed_key_text(prefix, feed_table::health_checks, "a") == "/edgeproxy/v1/health_checks/a");
}

TEST_CASE("a backend value: the table's columns with defaults", "[feed]") {
    auto r = backend(R"({"region":"eu","wg_ip":"10.0.0.5","port":8080})");
    CHECK(r.id.as_text() == "eu-1");
    CHECK(r.port.t == db_value::type::integer);
    CHECK(r.port.i == 8080);
    CHECK(r.weight.i == 1);
    CHECK(r.soft_limit.i == 100);
    CHECK(r.healthy.i == 1);
    CHECK(r.country.is_null());
    auto full =
        backend(R"({"id":"eu-1","app":"web","region":"eu","country":"DE","wg_ip":"h.example",
        "port":1,"healthy":false,"weight":0,"soft_limit":5,"hard_limit":9,"deleted":0})");
    CHECK(full.healthy.i == 0);
    CHECK(full.country.as_text() == "DE");
}

TEST_CASE("garbage, wrong JSON types and missing fields are rejected with the reason", "[feed]") {
    CHECK(problem(feed_table::backends, "a", "not json") == "value is not JSON");
    CHECK(problem(feed_table::backends, "a", "[1,2]") == "value is a JSON array, not an object");
    CHECK(problem(feed_table::backends, "a", R"({"region":"eu","wg_ip":"10.0.0.1"})") ==
          "port is required");
    CHECK(problem(feed_table::backends, "a", R"({"region":"eu","wg_ip":"10.0.0.1","port":"80"})") ==
          "port must be an integer, not string");
    CHECK(problem(feed_table::backends, "a", R"({"region":"eu","wg_ip":"10.0.0.1","port":80.5})") ==
          "port 80.5 is not an integer");
    CHECK(
        problem(feed_table::backends, "a",
                R"({"region":"eu","wg_ip":"10.0.0.1","port":80,"weight":18446744073709551615})") ==
        "weight 18446744073709551615 is out of range");
    CHECK(problem(feed_table::backends, "a", R"({"region":7,"wg_ip":"10.0.0.1","port":80})") ==
          "region must be a string, not number");
    CHECK(problem(feed_table::backends, "a",
                  R"({"region":"eu","wg_ip":"10.0.0.1","port":80,"wieght":2})") ==
          "unknown field 'wieght'");
    CHECK(problem(feed_table::backends, "a",
                  R"({"id":"b","region":"eu","wg_ip":"10.0.0.1","port":80})") ==
          "id \"b\" does not match the key");
    CHECK(problem(feed_table::send_proxy, "a", R"({"version":"2"})") ==
          "version must be an integer, not string");
    CHECK(problem(feed_table::draining, "a", R"({"why":"maintenance"})") == "unknown field 'why'");
}

TEST_CASE("every table's rows round-trip through their JSON", "[feed]") {
    edge::routing::raw_row r =
        backend(R"({"region":"eu","wg_ip":"10.0.0.5","port":8080,"weight":2})");
    auto again = decode_value({feed_table::backends, "eu-1"}, encode_value(r));
    REQUIRE(again);
    CHECK(std::get<edge::routing::raw_row>(*again).weight.i == 2);
    auto peer =
        decode_value({feed_table::wg_peers, "k"},
                     R"({"allowed_ips":["10.0.0.0/8","fd00::/64"],"persistent_keepalive":25})");
    REQUIRE(peer);
    auto& p = std::get<edge::routing::raw_wg_peer>(*peer);
    CHECK(p.allowed_ips.as_text() == "10.0.0.0/8,fd00::/64");
    auto peer2 = decode_value({feed_table::wg_peers, "k"}, encode_value(p));
    REQUIRE(peer2);
    CHECK(std::get<edge::routing::raw_wg_peer>(*peer2).persistent_keepalive.i == 25);
    auto hc = decode_value(
        {feed_table::health_checks, "a"},
        R"({"kind":"http","http_path":"/health","http_status":204,"interval_ms":2000})");
    REQUIRE(hc);
    auto hc2 = decode_value({feed_table::health_checks, "a"}, encode_value(*hc));
    REQUIRE(hc2);
    CHECK(std::get<edge::routing::raw_health_check>(*hc2).http_status.i == 204);
    edge::routing::table_set t;
    add_row(t, *hc2);
    add_row(t, std::string("eu-1"));
    CHECK(t.health_checks.size() == 1);
    CHECK(t.draining == std::vector<std::string>{"eu-1"});
}

TEST_CASE("the gateway's int64 and uint64 strings", "[feed]") {
    nlohmann::json j = nlohmann::json::parse(R"({"revision":"12","n":3,"bad":"x1"})");
    CHECK(int64_field(j, "revision") == 12);
    CHECK(int64_field(j, "n") == 3);
    CHECK(int64_field(j, "absent") == 0);
    CHECK_THROWS_AS(int64_field(j, "bad"), etcd_error);
    nlohmann::json h = nlohmann::json::parse(R"({"cluster_id":"17846699708890812807"})");
    CHECK(uint64_field(h, "cluster_id") == 17846699708890812807ull);  // past int64
    CHECK(prefix_end("/edgeproxy/v1/") == "/edgeproxy/v10");
}

TEST_CASE("a watch stream is split into whole objects however it arrives", "[feed]") {
    std::string stream =
        R"({"result":{"header":{"revision":"3"},"events":[{"kv":{"key":"YQ==","value":"e30=","mod_revision":"3"}}]}})"
        "\n"
        R"({"result":{"header":{"revision":"4"},"events":[{"type":"DELETE","kv":{"key":"YQ==","mod_revision":"4"}}]}})"
        "\n"
        R"({"result":{"header":{"revision":"9"}}})";
    for (std::size_t chunk : {1u, 7u, 1000u}) {
        json_object_splitter split;
        std::vector<watch_response> got;
        for (std::size_t i = 0; i < stream.size(); i += chunk) {
            split.feed(std::string_view(stream).substr(i, chunk));
            while (auto obj = split.next())
                got.push_back(parse_watch_message(nlohmann::json::parse(*obj), "test"));
        }
        REQUIRE(got.size() == 3);
        CHECK(got[0].events[0].kv.key == "a");
        CHECK(got[0].events[0].kv.value == "{}");
        CHECK_FALSE(got[0].events[0].is_delete);
        CHECK(got[1].events[0].is_delete);
        CHECK(got[2].events.empty());  // a progress notification
        CHECK(got[2].header.revision == 9);
    }
    auto compacted = parse_watch_message(
        nlohmann::json::parse(R"({"result":{"header":{},"canceled":true,"compact_revision":"3"}})"),
        "t");
    CHECK(compacted.canceled);
    CHECK(compacted.compact_revision == 3);
    CHECK_THROWS_AS(parse_watch_message(
                        nlohmann::json::parse(R"({"error":{"grpc_code":14,"message":"x"}})"), "t"),
                    etcd_error);
}
