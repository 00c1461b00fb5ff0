// End to end: backends listed in routing.db's send_proxy table receive a PROXY header with the
// client's address before the client's bytes.

#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <thread>

#include "tests/support/process.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

// Sends `bytes` through the proxy to a fin_first backend and returns what the backend received.
std::string delivered(test_backend& backend, std::uint16_t port, const std::string& bytes) {
    std::size_t before = backend.received().size();
    unique_fd fd = connect_tcp(port);
    if (!fd) return "<no connection>";
    // Bytes first: on a PROXY listener the backend is chosen only once the header has arrived.
    REQUIRE(send_all(fd.get(), bytes));
    REQUIRE(read_exact(fd.get(), backend.name().size() + 1));  // its banner
    ::shutdown(fd.get(), SHUT_WR);
    wait_closed(fd.get());
    for (int i = 0; i < 200 && backend.received().size() == before; ++i)
        std::this_thread::sleep_for(10ms);
    auto all = backend.received();
    return all.size() > before ? all.back() : "<nothing>";
}

}  // namespace

TEST_CASE("send-proxy: v1 and v2 headers with the client's address precede its bytes") {
    temp_dir dir;
    test_backend b(test_backend::mode::fin_first, "b");
    write_routing_db(dir.file("routing.db"), {{"b", b.port()}});
    std::string edgectl = edgectl_bin();
    REQUIRE_FALSE(edgectl.empty());
    // No active health checks: the backend records every connection, and a check's would be
    // among them.
    proxy_process proxy(dir, {dir.file("routing.db"),
                              1,
                              {"--listen-proxy", "127.0.0.1:0", "--reload-interval", "200ms",
                               "--binding-ttl", "0", "--check-interval", "0"}});
    std::string payload = random_bytes(5000, 8);

    // Off: the bytes arrive as sent.
    CHECK(delivered(b, proxy.port(), payload) == payload);

    // v1, client straight from the socket: source 127.0.0.1, destination the proxy's port.
    REQUIRE(
        run_command({edgectl, "backend", "send-proxy", dir.file("routing.db"), "b", "v1"}).first ==
        0);
    std::this_thread::sleep_for(700ms);
    std::string got = delivered(b, proxy.port(), payload);
    std::string prefix = "PROXY TCP4 127.0.0.1 127.0.0.1 ";
    REQUIRE(got.size() > payload.size());
    CHECK(got.compare(0, prefix.size(), prefix) == 0);
    auto crlf = got.find("\r\n");
    REQUIRE(crlf != std::string::npos);
    CHECK(got.substr(crlf - std::to_string(proxy.port()).size() - 1,
                     std::to_string(proxy.port()).size() + 1) ==
          " " + std::to_string(proxy.port()));
    CHECK(got.substr(crlf + 2) == payload);

    // v2, client announced by a front load balancer: its address and the address it dialled.
    REQUIRE(
        run_command({edgectl, "backend", "send-proxy", dir.file("routing.db"), "b", "v2"}).first ==
        0);
    std::this_thread::sleep_for(700ms);
    std::string incoming = "PROXY TCP4 81.2.69.160 192.0.2.10 40000 443\r\n";
    got = delivered(b, proxy.proxy_port(), incoming + payload);
    std::string sig("\r\n\r\n\0\r\nQUIT\n", 12);
    REQUIRE(got.size() == 16 + 12 + payload.size());
    CHECK(got.substr(0, 12) == sig);
    CHECK(static_cast<unsigned char>(got[12]) == 0x21);              // v2, PROXY
    CHECK(static_cast<unsigned char>(got[13]) == 0x11);              // TCP over IPv4
    CHECK(got.substr(16, 4) == std::string("\x51\x02\x45\xa0", 4));  // 81.2.69.160
    CHECK(got.substr(20, 4) == std::string("\xc0\x00\x02\x0a", 4));  // 192.0.2.10
    CHECK(got.substr(24, 4) == std::string("\x9c\x40\x01\xbb", 4));  // 40000, 443
    CHECK(got.substr(28) == payload);

    // Off again.
    REQUIRE(
        run_command({edgectl, "backend", "send-proxy", dir.file("routing.db"), "b", "off"}).first ==
        0);
    std::this_thread::sleep_for(700ms);
    CHECK(delivered(b, proxy.port(), payload) == payload);
}
