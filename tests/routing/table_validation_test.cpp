// The optional wg_peers and health_checks tables: each row's validation (what the loader and the
// writer both apply) and the rules between rows.

#include <catch2/catch.hpp>

#include "base/key_base64.hpp"
#include "base/strings.hpp"
#include "routing/field_checks.hpp"
#include "routing/health_check_validation.hpp"
#include "routing/table_validation.hpp"
#include "routing/wg_peer_validation.hpp"

using namespace edge::routing;

namespace {

const std::string key_a = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const std::string key_b = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

raw_wg_peer peer(const std::string& key, const std::string& allowed = "10.1.0.0/24") {
    raw_wg_peer p;
    p.public_key = db_value::of(key);
    p.allowed_ips = db_value::of(allowed);
    return p;
}

std::string peer_problem(const raw_wg_peer& p) {
    address_resolver syntax_only(false);
    auto v = validate_wg_peer(p, syntax_only);
    REQUIRE_FALSE(v.has_value());
    return v.error();
}

wg_peer peer_ok(const raw_wg_peer& p) {
    address_resolver resolver;
    auto v = validate_wg_peer(p, resolver);
    if (!v) FAIL("rejected: " << v.error());
    return *v;
}

raw_health_check check(const std::string& kind) {
    raw_health_check h;
    h.id = db_value::of(std::string("eu-1"));
    h.kind = db_value::of(kind);
    return h;
}

std::string check_problem(const raw_health_check& h) {
    auto v = validate_health_check(h);
    REQUIRE_FALSE(v.has_value());
    return v.error();
}

}  // namespace

TEST_CASE("a wg peer: key, preshared key, endpoint, allowed IPs, keepalive", "[wg_peers]") {
    raw_wg_peer p = peer(key_a, " 10.1.0.7/24, fd00:1::/64 ,192.168.9.9");
    p.preshared_key = db_value::of(key_b);
    p.endpoint = db_value::of(std::string("[2001:db8::1]:51820"));
    p.persistent_keepalive = db_value::of(std::int64_t{25});
    wg_peer w = peer_ok(p);
    CHECK(edge::key_to_base64(w.public_key) == key_a);
    REQUIRE(w.preshared_key);
    CHECK(edge::key_to_base64(*w.preshared_key) == key_b);
    CHECK(w.endpoint_text == "[2001:db8::1]:51820");
    CHECK(to_string(w.endpoint) == "[2001:db8::1]:51820");
    REQUIRE(w.allowed_ips.size() == 3);
    CHECK(edge::to_string(w.allowed_ips[0]) == "10.1.0.0/24");  // host bits cleared, as wg does
    CHECK(edge::to_string(w.allowed_ips[1]) == "fd00:1::/64");
    CHECK(edge::to_string(w.allowed_ips[2]) == "192.168.9.9/32");
    CHECK(w.persistent_keepalive == 25);
    wg_peer bare = peer_ok(peer(key_a, ""));
    CHECK_FALSE(bare.preshared_key);
    CHECK(bare.endpoint.empty());
    CHECK(bare.allowed_ips.empty());
    CHECK(bare.persistent_keepalive == 0);
}

TEST_CASE("bad wg peer rows are rejected with a reason (never quoting a preshared key)",
          "[wg_peers]") {
    CHECK(peer_problem(peer("not-a-key")).find("public_key 'not-a-key' is not a 32-byte key") !=
          std::string::npos);
    CHECK(peer_problem(peer(key_a.substr(0, 43) + "A")).find("is not a 32-byte key") !=
          std::string::npos);
    raw_wg_peer p = peer(key_a);
    p.preshared_key = db_value::of(std::string("sekrit-but-wrong"));
    std::string why = peer_problem(p);
    CHECK(why.find("preshared_key is not a 32-byte key") != std::string::npos);
    CHECK(why.find("sekrit") == std::string::npos);
    p = peer(key_a);
    p.endpoint = db_value::of(std::string("10.0.0.1"));
    CHECK(peer_problem(p).find("is not host:port") != std::string::npos);
    p.endpoint = db_value::of(std::string("fd00::1:51820"));
    CHECK(peer_problem(p).find("is not host:port") != std::string::npos);
    p.endpoint = db_value::of(std::string("10.0.0.1:0"));
    CHECK(peer_problem(p).find("is not host:port") != std::string::npos);
    CHECK(peer_problem(peer(key_a, "10.0.0.0/33")).find("'10.0.0.0/33' is not an IP prefix") !=
          std::string::npos);
    CHECK(peer_problem(peer(key_a, "10.0.0.0/8,,fd00::/129")).find("fd00::/129") !=
          std::string::npos);
    CHECK(peer_problem(peer(key_a, "fe80::1%eth0/64")).find("is not an IP prefix") !=
          std::string::npos);
    p = peer(key_a);
    p.persistent_keepalive = db_value::of(std::int64_t{65536});
    CHECK(peer_problem(p) == "persistent_keepalive 65536 is larger than 65535");
    p = peer(key_a);
    p.allowed_ips = db_value::of(std::string("10.0.0.0/8\n"));
    CHECK(peer_problem(p).find("control character (newline)") != std::string::npos);
}

TEST_CASE("a host-name endpoint is resolved by the loader, only checked by a writer",
          "[wg_peers]") {
    raw_wg_peer p = peer(key_a);
    p.endpoint = db_value::of(std::string("localhost:51820"));
    wg_peer w = peer_ok(p);
    CHECK(w.endpoint.is_loopback());
    CHECK(w.endpoint.port() == 51820);
    p.endpoint = db_value::of(std::string("no-such-host.invalid:51820"));
    address_resolver syntax_only(false);
    CHECK(validate_wg_peer(p, syntax_only).has_value());
}

TEST_CASE("between wg peers: one key, one peer; one allowed IP, one peer", "[wg_peers]") {
    table_set t;
    t.wg_peers = {peer(key_a, "10.1.0.0/24"), peer(key_b, "10.2.0.0/24,10.1.0.0/24"),
                  peer(key_a, "10.3.0.0/24")};
    address_resolver resolver;
    checked_tables c = check_tables(t, resolver);
    REQUIRE(c.wg_peers.size() == 1);
    REQUIRE(c.rejected.size() == 2);
    CHECK(c.rejected[0].id == "wg_peers '" + key_b + "'");
    CHECK(c.rejected[0].reason == "allowed IP 10.1.0.0/24 already belongs to an earlier peer");
    CHECK(c.rejected[1].reason == "duplicate public_key");
    CHECK(c.wg_peer_rows == std::vector<std::size_t>{0});
}

TEST_CASE("health checks: kinds and their settings", "[health_checks]") {
    auto tcp = validate_health_check(check("tcp"));
    REQUIRE(tcp);
    CHECK(tcp->kind == health_check_kind::tcp);
    CHECK_FALSE(tcp->interval_ms);  // unset: the proxy's default

    raw_health_check se = check("send_expect");
    se.send = db_value::of(std::string("PING\\r\\n"));
    se.expect = db_value::of(std::string("+PONG"));
    se.interval_ms = db_value::of(std::int64_t{2000});
    se.timeout_ms = db_value::of(std::int64_t{500});
    se.rise = db_value::of(std::int64_t{2});
    se.fall = db_value::of(std::int64_t{3});
    se.jitter_ms = db_value::of(std::int64_t{100});
    auto s = validate_health_check(se);
    REQUIRE(s);
    CHECK(s->send == "PING\r\n");
    CHECK(s->expect == "+PONG");
    CHECK(s->interval_ms == 2000u);
    CHECK(s->timeout_ms == 500u);
    CHECK(s->rise == 2u);
    CHECK(s->fall == 3u);
    CHECK(s->jitter_ms == 100u);

    raw_health_check http = check("HTTP");
    http.http_path = db_value::of(std::string("/health"));
    http.http_status = db_value::of(std::string("3xx"));
    auto h = validate_health_check(http);
    REQUIRE(h);
    CHECK(h->kind == health_check_kind::http);
    CHECK(h->http_path == "/health");
    CHECK(h->http_status_min == 300);
    CHECK(h->http_status_max == 399);
    http.http_status = db_value::of(std::int64_t{204});
    CHECK(validate_health_check(http)->http_status_min == 204);
    http.http_status = db_value::null();
    http.http_path = db_value::null();
    auto d = validate_health_check(http);
    CHECK(d->http_path == "/");
    CHECK(d->http_status_max == 299);
}

TEST_CASE("bad health check rows are rejected with a reason", "[health_checks]") {
    CHECK(check_problem(check("icmp")) == "kind 'icmp' is not tcp, send_expect or http");
    CHECK(check_problem(check("send_expect")).find("needs expect") != std::string::npos);
    raw_health_check h = check("tcp");
    h.send = db_value::of(std::string("PING"));
    CHECK(check_problem(h) == "send/expect apply to kind send_expect, not tcp");
    h = check("send_expect");
    h.expect = db_value::of(std::string("+PONG\n"));  // a raw newline: must be written \n
    CHECK(check_problem(h).find("control character (newline)") != std::string::npos);
    h.expect = db_value::of(std::string("\\q"));
    CHECK(check_problem(h).find("unknown escape \\q") != std::string::npos);
    h.expect = db_value::of(std::string("\\x4"));
    CHECK(check_problem(h).find("two hex digits") != std::string::npos);
    h = check("http");
    h.http_path = db_value::of(std::string("health"));
    CHECK(check_problem(h).find("is not a path starting with /") != std::string::npos);
    h = check("http");
    h.http_status = db_value::of(std::string("2x"));
    CHECK(check_problem(h).find("is not a status class") != std::string::npos);
    h = check("tcp");
    h.interval_ms = db_value::of(std::int64_t{50});
    CHECK(check_problem(h) == "interval_ms 50 is outside 100-3600000");
    h.interval_ms = db_value::of(std::int64_t{1000});
    h.timeout_ms = db_value::of(std::int64_t{2000});
    CHECK(check_problem(h) == "timeout_ms 2000 is longer than interval_ms 1000");
    h = check("tcp");
    h.rise = db_value::of(std::string("many"));
    CHECK(check_problem(h) == "rise 'many' is not an integer");
}

TEST_CASE("escapes of byte columns round-trip", "[health_checks]") {
    std::string all;
    for (int c = 0; c < 256; ++c)
        all += static_cast<char>(c);
    std::string text = encode_escapes(all);
    CHECK(edge::find_control_char(text) == std::string::npos);
    auto back = decode_escapes(text, "x");
    REQUIRE(back);
    CHECK(*back == all);
}
