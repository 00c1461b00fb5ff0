// End to end: the admin endpoint's live view — GET /status against the real binary with real
// traffic, edgectl status printing it, and the bearer token that guards the endpoint.

#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;
using json = nlohmann::json;

namespace {

/// Sends `request` to the admin port and returns the whole response (head and body).
std::string http_raw(std::uint16_t port, const std::string& request) {
    unique_fd fd = connect_tcp(port);
    if (!fd || !send_all(fd.get(), request)) return "";
    return read_to_eof(fd.get(), 5000ms).value_or("");
}

std::string get_with(const std::string& path, const std::string& auth_line) {
    return "GET " + path + " HTTP/1.0\r\nHost: t\r\n" + auth_line + "\r\n";
}

json status_of(const proxy_process& p) {
    int code = 0;
    std::string body = p.http_get("/status", &code);
    REQUIRE(code == 200);
    return json::parse(body);
}

const json* backend(const json& s, const std::string& id) {
    for (const json& b : s["backends"])
        if (b["id"] == id) return &b;
    return nullptr;
}

}  // namespace

TEST_CASE("GET /status: the process, the table in force and what each backend did") {
    temp_dir dir;
    test_backend a(test_backend::mode::echo, "a");
    test_backend b(test_backend::mode::echo, "b");
    std::uint16_t dead = refused_port();
    // dead is in the POP's region (tier 2), so every client tries it first and fails over to a.
    write_routing_db(dir.file("routing.db"),
                     {{"a", a.port(), "us", "US", "127.0.0.1", 1, 3, 50, 10},
                      {"dead", dead, "eu", "FR"},
                      {"b", b.port(), "ap", "JP"},
                      {"down", 9, "ap", "", "127.0.0.1", 0}});
    exec_sql(dir.file("routing.db"),
             "CREATE TABLE draining (id TEXT PRIMARY KEY); INSERT INTO draining VALUES ('b');"
             "CREATE TABLE health_checks (id TEXT PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'tcp', "
             "send TEXT, expect TEXT, http_path TEXT, http_status TEXT, interval_ms INTEGER, "
             "timeout_ms INTEGER, rise INTEGER, fall INTEGER, jitter_ms INTEGER);"
             "INSERT INTO health_checks (id, kind, http_path, http_status, interval_ms) "
             "VALUES ('a', 'http', '/health', '2xx', 2000);"
             "CREATE TABLE wg_peers (public_key TEXT PRIMARY KEY, preshared_key TEXT, "
             "endpoint TEXT, allowed_ips TEXT NOT NULL DEFAULT '', persistent_keepalive INTEGER);"
             "INSERT INTO wg_peers VALUES ('AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=', NULL, "
             "'192.0.2.1:51820', '10.9.0.0/24', 25);");
    // Passive ejection off: every client tries `dead` and fails over (its count stays exact).
    proxy_process proxy(dir, {dir.file("routing.db"),
                              2,
                              {"--region", "eu", "--binding-ttl", "0", "--eject-after", "0"}});
    for (int i = 0; i < 6; ++i)
        CHECK(first_line_through(proxy.port(), "", "hello\n") == "hello");
    unique_fd held = connect_tcp(proxy.port());
    REQUIRE(send_all(held.get(), "x"));
    REQUIRE(read_exact(held.get(), 1));

    json s;
    for (int i = 0; i < 100; ++i) {  // the last connections' ends are counted a moment later
        s = status_of(proxy);
        const json* ja = backend(s, "a");
        if (ja && (*ja)["bytes_up"] == 36 && (*ja)["live"] == 1) break;
        std::this_thread::sleep_for(20ms);
    }
    INFO(s.dump(2));
    CHECK(s["version"] == EDGE_VERSION);
    CHECK(s["pid"].get<int>() == proxy.process().pid());
    CHECK(s["uptime_s"].get<double>() >= 0);
    CHECK(s["region"] == "eu");
    CHECK(s["draining"] == false);
    CHECK(s["workers"].size() == 2);
    REQUIRE(s["listeners"].size() == 1);
    CHECK(s["listeners"][0]["address"] == "127.0.0.1:" + std::to_string(proxy.port()));
    CHECK(s["listeners"][0]["proxy_protocol"] == false);
    CHECK(s["routing"]["db"] == dir.file("routing.db"));
    CHECK(s["routing"]["generation"].get<int>() >= 1);
    CHECK(std::regex_match(s["routing"]["loaded"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    CHECK(s["routing"]["backends"] == 4);
    CHECK(s["connections"]["total"] == 7);
    CHECK(s["connections"]["current"] == 1);
    CHECK(s["geoip"].is_null());
    CHECK(s["access_log"].is_null());
    // Health checks run (active; passive ejection is off here); WireGuard peers as configured,
    // their runtime state not yet there.
    CHECK(s["health_checks"]["enabled"] == true);
    CHECK(s["health_checks"]["active"] == true);
    CHECK(s["health_checks"]["passive"] == false);
    CHECK(s["wireguard"]["enabled"] == false);
    REQUIRE(s["wireguard"]["peers"].size() == 1);
    const json& peer = s["wireguard"]["peers"][0];
    CHECK(peer["public_key"] == "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=");
    CHECK(peer["endpoint"] == "192.0.2.1:51820");
    CHECK(peer["allowed_ips"] == json::array({"10.9.0.0/24"}));
    CHECK(peer["persistent_keepalive"] == 25);
    CHECK(peer["last_handshake"].is_null());

    REQUIRE(s["backends"].size() == 4);
    const json& ja = *backend(s, "a");
    CHECK(ja["address"] == "127.0.0.1:" + std::to_string(a.port()));
    CHECK(ja["region"] == "us");
    CHECK(ja["country"] == "US");
    CHECK(ja["weight"] == 3);
    CHECK(ja["soft_limit"] == 50);
    CHECK(ja["hard_limit"] == 10);
    CHECK(ja["healthy"] == true);
    CHECK(ja["state"] == "up");
    CHECK(ja["live"] == 1);
    CHECK(ja["connections_total"] == 7);
    CHECK(ja["connect_failures"] == 0);
    CHECK(ja["bytes_up"] ==
          36);  // six finished exchanges of "hello\n"; the held one counts at its end
    CHECK(ja["bytes_down"] == 36);
    CHECK(ja["check"]["configured"]["kind"] == "http");
    CHECK(ja["check"]["configured"]["http_path"] == "/health");
    CHECK(ja["check"]["configured"]["http_status_max"] == 299);
    CHECK(ja["check"]["configured"]["interval_ms"] == 2000);
    CHECK(ja["check"]["configured"]["rise"].is_null());
    // Its effective health on this POP and why (its echo backend answers /health with the
    // request itself, so its check may have failed by now).
    CHECK(ja["check"]["state"]["state"].is_string());
    CHECK(ja["check"]["state"]["why"].is_string());
    CHECK((*backend(s, "down"))["check"]["state"]["state"] == "disabled");
    const json& jd = *backend(s, "dead");
    CHECK(jd["check"]["configured"].is_null());  // the proxy's defaults
    CHECK(jd["connect_failures"] == 7);
    CHECK(jd["connect_failures_by_reason"]["refused"] == 7);
    CHECK(jd["connections_total"] == 0);
    CHECK((*backend(s, "b"))["state"] == "drain");
    CHECK((*backend(s, "b"))["draining"] == true);
    CHECK((*backend(s, "down"))["state"] == "down");
    CHECK((*backend(s, "down"))["healthy"] == false);

    std::map<std::string, json> regions;
    for (const json& r : s["regions"])
        regions[r["region"].get<std::string>()] = r;
    CHECK(regions["us"]["live"] == 1);
    CHECK(regions["us"]["up"] == 1);
    CHECK(regions["ap"]["backends"] == 2);
    CHECK(regions["ap"]["up"] == 0);
}

TEST_CASE("edgectl status prints the live view as a table") {
    temp_dir dir;
    test_backend a(test_backend::mode::echo, "a");
    write_routing_db(dir.file("routing.db"),
                     {{"eu-1", a.port(), "eu", "DE"}, {"off-1", 9, "us", "", "127.0.0.1", 0}});
    proxy_process proxy(dir, {dir.file("routing.db")});
    CHECK(first_line_through(proxy.port(), "", "hi\n") == "hi");
    std::string admin = "127.0.0.1:" + std::to_string(proxy.metrics_port());
    auto [rc, out] = run_command({edgectl_bin(), "status", "--admin", admin});
    INFO(out);
    CHECK(rc == 0);
    CHECK_THAT(out, Catch::Contains("edgeproxy " EDGE_VERSION));
    CHECK_THAT(out, Catch::Contains("listeners: 127.0.0.1:" + std::to_string(proxy.port())));
    CHECK(std::regex_search(out, std::regex("\\nID +APP +ADDRESS +REGION +COUNTRY +WEIGHT")));
    CHECK(std::regex_search(out, std::regex("\\neu-1 +app +127\\.0\\.0\\.1:" +
                                            std::to_string(a.port()) + " +eu +DE .* up +0 +1 ")));
    CHECK(std::regex_search(out, std::regex("\\noff-1 .* down ")));

    auto [jrc, jout] = run_command({edgectl_bin(), "status", "--admin", admin, "--json"});
    CHECK(jrc == 0);
    CHECK(json::parse(jout)["backends"].size() == 2);

    auto [nrc, nout] = run_command(
        {edgectl_bin(), "status", "--admin", "127.0.0.1:" + std::to_string(refused_port())});
    CHECK(nrc == 1);
    CHECK_THAT(nout, Catch::Contains("cannot connect to the admin endpoint"));
}

TEST_CASE("GET /status names the GeoIP database in force") {
    temp_dir dir;
    const std::string geo = build_geo_db(dir, "127.0.0.0/8,DE\n");
    test_backend a(test_backend::mode::echo, "a");
    write_routing_db(dir.file("routing.db"), {{"eu-1", a.port(), "eu", "DE"}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--geoip", geo}});
    json s = status_of(proxy);
    INFO(s.dump());
    REQUIRE(s["geoip"].is_object());
    CHECK(s["geoip"]["path"] == geo);
    CHECK(!s["geoip"]["type"].get<std::string>().empty());
    CHECK(std::regex_match(s["geoip"]["loaded"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

TEST_CASE("edgectl status says why a backend its checks took down is down") {
    temp_dir dir;
    test_backend a(test_backend::mode::echo, "a");
    const std::uint16_t dead = refused_port();
    write_routing_db(dir.file("routing.db"), {{"eu-1", a.port(), "eu"}, {"eu-2", dead, "eu"}});
    proxy_process proxy(dir, {dir.file("routing.db"),
                              1,
                              {"--check-interval", "200ms", "--check-fast-interval", "100ms",
                               "--check-fall", "2"}});
    const std::string admin = "127.0.0.1:" + std::to_string(proxy.metrics_port());
    std::string out;
    bool down = false;
    for (int i = 0; i < 50 && !down; ++i) {
        out = run_command({edgectl_bin(), "status", "--admin", admin}).second;
        down = std::regex_search(out, std::regex("\\neu-2 .* up +down "));  // routing.db: up
        if (!down) std::this_thread::sleep_for(100ms);
    }
    INFO(out);
    CHECK(down);
    // The reason line under the table names the backend and what its checks met.
    CHECK(std::regex_search(out, std::regex("\\n  eu-2: .*refused")));
    CHECK(std::regex_search(out, std::regex("\\neu-1 .* up +up ")));
}

TEST_CASE("--admin-token-file: every admin request needs the token") {
    temp_dir dir;
    {
        std::ofstream t(dir.file("token"));
        t << "tok-123-secret\n";
    }
    test_backend a(test_backend::mode::echo, "a");
    write_routing_db(dir.file("routing.db"), {{"a", a.port()}});
    proxy_process proxy(dir,
                        {dir.file("routing.db"), 1, {"--admin-token-file", dir.file("token")}});
    std::uint16_t port = proxy.metrics_port();
    for (const char* path : {"/metrics", "/status", "/", "/healthz", "/nope"}) {
        std::string r = http_raw(port, get_with(path, ""));
        INFO(path << ": " << r);
        CHECK(r.rfind("HTTP/1.1 401 ", 0) == 0);
        CHECK_THAT(r, Catch::Contains("WWW-Authenticate: Bearer"));
        CHECK_THAT(r, Catch::Contains("WWW-Authenticate: Basic"));
    }
    CHECK(http_raw(port, get_with("/metrics", "Authorization: Bearer tok-123-secreT\r\n"))
              .rfind("HTTP/1.1 401 ", 0) == 0);
    CHECK(http_raw(port, get_with("/metrics", "Authorization: Bearer tok-123\r\n"))
              .rfind("HTTP/1.1 401 ", 0) == 0);
    std::string ok =
        http_raw(port, get_with("/metrics", "Authorization: Bearer tok-123-secret\r\n"));
    CHECK(ok.rfind("HTTP/1.1 200 ", 0) == 0);
    CHECK_THAT(ok, Catch::Contains("edge_connections_total"));
    // A browser's Basic credentials, the token as password: base64("admin:tok-123-secret").
    CHECK(http_raw(port, get_with("/", "Authorization: Basic YWRtaW46dG9rLTEyMy1zZWNyZXQ=\r\n"))
              .rfind("HTTP/1.1 200 ", 0) == 0);

    std::string admin = "127.0.0.1:" + std::to_string(port);
    auto [rc, out] = run_command({edgectl_bin(), "status", "--admin", admin});
    CHECK(rc == 1);
    CHECK_THAT(out, Catch::Contains("--token-file"));
    auto [rc2, out2] =
        run_command({edgectl_bin(), "status", "--admin", admin, "--token-file", dir.file("token")});
    INFO(out2);
    CHECK(rc2 == 0);
    CHECK_THAT(out2, Catch::Contains("127.0.0.1:" + std::to_string(a.port())));
}

TEST_CASE("an admin endpoint off loopback without a token: the proxy refuses to start") {
    temp_dir dir;
    write_routing_db(dir.file("routing.db"), {});
    // Refused while the flags are read, before anything is bound.
    auto [rc, out] = run_command({edgeproxy_bin(), "--listen", "127.0.0.1:0", "--metrics",
                                  "0.0.0.0:0", "--db", dir.file("routing.db")},
                                 10s);
    CHECK(rc == 2);
    CHECK_THAT(out, Catch::Contains("--admin-token-file"));
    CHECK_THAT(out, Catch::Contains("--admin-insecure"));
    auto [rc2, out2] =
        run_command({edgeproxy_bin(), "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--db",
                     dir.file("routing.db"), "--admin-token-file", dir.file("missing-token")},
                    10s);
    CHECK(rc2 == 1);
    CHECK_THAT(out2, Catch::Contains("--admin-token-file " + dir.file("missing-token")));
}
