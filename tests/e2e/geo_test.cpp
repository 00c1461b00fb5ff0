// End to end, with MaxMind's own test database ($EDGE_SHARED_DIR/data/geoip; the executable exits
// 77, skipped, where it is absent): clients announced by PROXY v1/v2 headers from addresses in
// different countries land on the backend of their country, then of their region, then of the
// POP's region, then anywhere — as the score says.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

std::string g_country_db;  // GeoIP2-Country-Test.mmdb

std::string v1_header(const std::string& client_ip) {
    return "PROXY TCP4 " + client_ip + " 127.0.0.1 40000 443\r\n";
}

std::string v2_header(const std::string& client_ip, bool local = false) {
    std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
    h.push_back(local ? '\x20' : '\x21');  // version 2, LOCAL or PROXY
    h.push_back('\x11');                   // AF_INET, STREAM
    h.push_back('\0');
    h.push_back('\x0c');  // 12 bytes of addresses
    in_addr src{}, dst{};
    inet_pton(AF_INET, client_ip.c_str(), &src);
    inet_pton(AF_INET, "127.0.0.1", &dst);
    h.append(reinterpret_cast<const char*>(&src), 4);
    h.append(reinterpret_cast<const char*>(&dst), 4);
    h.append("\x9c\x40\x01\xbb", 4);  // ports 40000, 443
    return h;
}

struct world {
    temp_dir dir;
    test_backend gb{test_backend::mode::banner, "gb"};    // GB, eu
    test_backend se{test_backend::mode::banner, "se"};    // SE, eu
    test_backend us{test_backend::mode::banner, "us"};    // US, us
    test_backend ph{test_backend::mode::banner, "ph"};    // PH, ap
    test_backend pop{test_backend::mode::banner, "pop"};  // the POP's own region, sa
    world() {
        write_routing_db(dir.file("routing.db"), {{"gb", gb.port(), "eu", "GB"},
                                                  {"se", se.port(), "eu", "SE"},
                                                  {"us", us.port(), "us", "US"},
                                                  {"ph", ph.port(), "ap", "PH"},
                                                  {"pop", pop.port(), "sa", "BR"}});
    }
    proxy_options options(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {
            "--listen-proxy", "127.0.0.1:0", "--geoip",           g_country_db, "--region", "sa",
            "--binding-ttl",  "0",           "--reload-interval", "200ms"};
        args.insert(args.end(), extra.begin(), extra.end());
        return proxy_options{dir.file("routing.db"), 2, args};
    }
};

void set_healthy(const world& w, const std::string& id, int healthy) {
    exec_sql(w.dir.file("routing.db"),
             "UPDATE backends SET healthy=" + std::to_string(healthy) + " WHERE id='" + id + "'");
    std::this_thread::sleep_for(700ms);  // a few reload intervals
}

}  // namespace

TEST_CASE("tiers: the client's country, then its region, then the POP's region, then any") {
    world w;
    proxy_process proxy(w.dir, w.options());
    REQUIRE(proxy.proxy_port() != 0);
    // Tier 0: same country.
    CHECK(first_line_through(proxy.proxy_port(), "", v1_header("81.2.69.160")) == "gb");     // GB
    CHECK(first_line_through(proxy.proxy_port(), "", v2_header("89.160.20.128")) == "se");   // SE
    CHECK(first_line_through(proxy.proxy_port(), "", v1_header("216.160.83.56")) == "us");   // US
    CHECK(first_line_through(proxy.proxy_port(), "", v2_header("202.196.224.10")) == "ph");  // PH
    // Tier 1: China has no backend; its region (ap) has ph.
    CHECK(first_line_through(proxy.proxy_port(), "", v1_header("175.16.199.10")) == "ph");
    // Tier 1 again: with gb out of service, a GB client goes to the other eu backend.
    set_healthy(w, "gb", 0);
    CHECK(first_line_through(proxy.proxy_port(), "", v1_header("81.2.69.160")) == "se");
    // Tier 2: eu empty too, the POP's region (sa).
    set_healthy(w, "se", 0);
    CHECK(first_line_through(proxy.proxy_port(), "", v1_header("81.2.69.160")) == "pop");
    // Tier 3: and without the POP's region, whatever is left (us or ph).
    set_healthy(w, "pop", 0);
    std::string any = first_line_through(proxy.proxy_port(), "", v1_header("81.2.69.160"));
    CHECK((any == "us" || any == "ph"));
    CHECK(proxy.metric("edge_proxy_headers_total") == 8);
    CHECK(proxy.metric("edge_geoip_loaded") == 1);
}

TEST_CASE("a country outside the map gets its continent's region only when configured") {
    world w;
    SECTION("without --region-by-continent: no region, so the POP's region") {
        proxy_process proxy(w.dir, w.options());
        CHECK(first_line_through(proxy.proxy_port(), "", v1_header("67.43.156.10")) ==
              "pop");  // BT, Asia
    }
    SECTION("with AS=ap: Bhutan is routed like the rest of Asia") {
        proxy_process proxy(w.dir, w.options({"--region-by-continent", "AS=ap,EU=eu"}));
        CHECK(first_line_through(proxy.proxy_port(), "", v1_header("67.43.156.10")) == "ph");
    }
    SECTION("a country_regions row in routing.db overrides the built-in map") {
        exec_sql(w.dir.file("routing.db"),
                 "CREATE TABLE country_regions (country TEXT PRIMARY KEY, region TEXT NOT NULL);"
                 "INSERT INTO country_regions VALUES ('BT', 'us')");
        proxy_process proxy(w.dir, w.options());
        CHECK(first_line_through(proxy.proxy_port(), "", v1_header("67.43.156.10")) == "us");
    }
}

TEST_CASE("unknown and private addresses, and v2 LOCAL, get no geo tier") {
    world w;
    proxy_process proxy(w.dir, w.options());
    CHECK(first_line_through(proxy.proxy_port(), "", v1_header("10.1.2.3")) == "pop");
    CHECK(first_line_through(proxy.proxy_port(), "", v2_header("192.168.7.7")) == "pop");
    CHECK(first_line_through(proxy.proxy_port(), "", v2_header("81.2.69.160", true)) ==
          "pop");  // LOCAL: socket address
}

TEST_CASE("bad, slow and absent PROXY headers") {
    world w;
    proxy_process proxy(w.dir, w.options({"--proxy-header-timeout", "300ms"}));
    SECTION("malformed: closed at once and counted by reason") {
        unique_fd fd = connect_tcp(proxy.proxy_port());
        REQUIRE(send_all(fd.get(), "PROXY TCP4 81.2.69.160 127.0.0.1 99999 443\r\n"));
        CHECK(wait_closed(fd.get(), 2s));
        CHECK(proxy.metric("edge_proxy_header_errors_total{reason=\"v1_bad_port\"}") == 1);
        CHECK(proxy.metric("edge_connections_rejected_total{reason=\"bad_header\"}") == 1);
    }
    SECTION("not a header at all") {
        unique_fd fd = connect_tcp(proxy.proxy_port());
        REQUIRE(send_all(fd.get(), "GET / HTTP/1.1\r\n\r\n"));
        CHECK(wait_closed(fd.get(), 2s));
        CHECK(proxy.metric("edge_proxy_header_errors_total{reason=\"not_proxy\"}") == 1);
    }
    SECTION("too slow: a partial header, then silence") {
        unique_fd fd = connect_tcp(proxy.proxy_port());
        REQUIRE(send_all(fd.get(), "PROXY TCP4 81.2"));
        auto t0 = std::chrono::steady_clock::now();
        CHECK(wait_closed(fd.get(), 3s));
        CHECK(std::chrono::steady_clock::now() - t0 < 1500ms);
        CHECK(proxy.metric("edge_connections_rejected_total{reason=\"header_timeout\"}") == 1);
    }
    SECTION("a header split over several writes, with payload behind it, arrives whole") {
        test_backend echo(test_backend::mode::echo, "echo");
        // Only the echo backend, so the payload comes back.
        write_routing_db(w.dir.file("routing.db"), {{"echo", echo.port(), "sa"}});
        std::this_thread::sleep_for(700ms);
        unique_fd fd = connect_tcp(proxy.proxy_port());
        std::string h = v2_header("81.2.69.160");
        for (char c : h) {  // one byte per write: the header spans many receives
            REQUIRE(send_all(fd.get(), std::string(1, c)));
            std::this_thread::sleep_for(2ms);
        }
        std::string payload = random_bytes(50000, 3);
        REQUIRE(send_all(fd.get(), payload));
        ::shutdown(fd.get(), SHUT_WR);
        CHECK(read_to_eof(fd.get(), 5s) == std::optional<std::string>(payload));
    }
    SECTION("on a plain listener a PROXY header is just data") {
        test_backend echo(test_backend::mode::echo, "echo");
        write_routing_db(w.dir.file("routing.db"), {{"echo", echo.port(), "sa"}});
        std::this_thread::sleep_for(700ms);
        unique_fd fd = connect_tcp(proxy.port());
        std::string data = v1_header("81.2.69.160") + "hello";
        REQUIRE(send_all(fd.get(), data));
        ::shutdown(fd.get(), SHUT_WR);
        CHECK(read_to_eof(fd.get(), 5s) == std::optional<std::string>(data));
    }
}

TEST_CASE(
    "the GeoIP file is reloaded when replaced; a corrupt replacement keeps the last good one") {
    world w;
    std::filesystem::copy_file(g_country_db, w.dir.file("geo.mmdb"));
    std::vector<std::string> args = {
        "--listen-proxy",    "127.0.0.1:0", "--geoip",       w.dir.file("geo.mmdb"),
        "--region",          "sa",          "--binding-ttl", "0",
        "--reload-interval", "200ms"};
    proxy_process proxy(w.dir, proxy_options{w.dir.file("routing.db"), 1, args});
    CHECK(first_line_through(proxy.proxy_port(), "", v1_header("81.2.69.160")) == "gb");
    // A broken database over it: logged, counted, and the good one stays.
    std::string broken = std::string(std::getenv("EDGE_SHARED_DIR")) +
                         "/data/geoip/MaxMind-DB-test-broken-search-tree-24.mmdb";
    std::filesystem::copy_file(broken, w.dir.file("next.mmdb"));
    std::filesystem::rename(w.dir.file("next.mmdb"), w.dir.file("geo.mmdb"));
    std::this_thread::sleep_for(800ms);
    CHECK(first_line_through(proxy.proxy_port(), "", v1_header("81.2.69.160")) == "gb");
    CHECK(proxy.metric("edge_geoip_reloads_total{result=\"failed\"}") >= 1);
    CHECK_THAT(proxy.output(), Catch::Contains("keeping the database in force"));
    // A database that knows nothing of 81.2.69.160: the GB client now has no geo tier.
    std::filesystem::copy_file(
        std::string(std::getenv("EDGE_SHARED_DIR")) + "/data/geoip/MaxMind-DB-test-ipv4-24.mmdb",
        w.dir.file("next.mmdb"));
    std::filesystem::rename(w.dir.file("next.mmdb"), w.dir.file("geo.mmdb"));
    bool moved = false;
    for (int i = 0; i < 50 && !moved; ++i) {
        moved = first_line_through(proxy.proxy_port(), "", v1_header("81.2.69.160")) == "pop";
        if (!moved) std::this_thread::sleep_for(100ms);
    }
    CHECK(moved);
    CHECK(proxy.metric("edge_geoip_reloads_total{result=\"ok\"}") >= 1);
}

int main(int argc, char** argv) {
    const char* shared = std::getenv("EDGE_SHARED_DIR");
    std::string db = shared ? std::string(shared) + "/data/geoip/GeoIP2-Country-Test.mmdb" : "";
    if (db.empty() || !std::filesystem::exists(db)) {
        std::printf("SKIP: MaxMind test databases not found (EDGE_SHARED_DIR=%s)\n",
                    shared ? shared : "");
        return 77;
    }
    g_country_db = db;
    return Catch::Session().run(argc, argv);
}
