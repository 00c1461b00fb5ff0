// End to end with a GeoIP database built by `edgectl geo build` that maps 127.0.0.0/8 sub-ranges
// to countries, so clients connecting from those loopback source addresses are "abroad".

#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <fstream>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

TEST_CASE(
    "loopback clients mapped to countries by an edgectl-built database reach their backends") {
    temp_dir dir;
    build_geo_db(dir,
                 "# test networks on loopback\n"
                 "127.0.10.0/24,GB\n"
                 "127.0.20.0/24,US\n"
                 "127.0.30.0/24,JP,ap\n"
                 "127.0.50.0/24,AR\n");

    test_backend gb(test_backend::mode::banner, "gb"), us(test_backend::mode::banner, "us"),
        ph(test_backend::mode::banner, "ph"), pop(test_backend::mode::banner, "pop"),
        br(test_backend::mode::banner, "br");
    write_routing_db(dir.file("routing.db"), {{"gb", gb.port(), "eu", "GB"},
                                              {"us", us.port(), "us", "US"},
                                              {"ph", ph.port(), "ap", "PH"},
                                              {"br", br.port(), "sa", "BR"},
                                              {"pop", pop.port(), "eu", "DE"}});
    proxy_process proxy(
        dir, {dir.file("routing.db"),
              2,
              {"--geoip", dir.file("geo.mmdb"), "--region", "eu", "--binding-ttl", "0"}});
    for (int i = 1; i <= 5; ++i) {
        std::string host = std::to_string(i);
        CHECK(first_line_through(proxy.port(), "127.0.10." + host) == "gb");  // country GB
        CHECK(first_line_through(proxy.port(), "127.0.20." + host) == "us");  // country US
        CHECK(first_line_through(proxy.port(), "127.0.30." + host) == "ph");  // JP: its region, ap
        CHECK(first_line_through(proxy.port(), "127.0.50." + host) ==
              "br");  // AR: region sa, via the built-in map
        std::string other =
            first_line_through(proxy.port(), "127.0.40." + host);  // unmapped: POP region
        CHECK((other == "gb" || other == "pop"));
    }
    // Repeat clients are served from each worker's cache.
    for (int i = 0; i < 10; ++i)
        CHECK(first_line_through(proxy.port(), "127.0.10.1") == "gb");
    CHECK(proxy.metric("edge_geoip_lookups_total{source=\"cache\"}") >= 8);
}
