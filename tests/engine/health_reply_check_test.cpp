// What a backend's reply to a check must be (engine/health/reply_check): send/expect prefixes
// and HTTP status lines, arriving in pieces, wrong, short, or hostile.

#include <catch2/catch.hpp>
#include <string>

#include "engine/health/reply_check.hpp"

using namespace edge::engine::health;

TEST_CASE("send/expect: the reply must start with the expected bytes", "[health]") {
    CHECK(check_expect("+PONG\r\n", "+PONG") == reply_verdict::pass);
    CHECK(check_expect("+PONG", "+PONG") == reply_verdict::pass);
    CHECK(check_expect("+PO", "+PONG") == reply_verdict::need_more);
    CHECK(check_expect("", "+PONG") == reply_verdict::need_more);
    CHECK(check_expect("-ERR", "+PONG") == reply_verdict::mismatch);
    CHECK(check_expect("+PX", "+PONG") == reply_verdict::mismatch);
    CHECK(check_expect(std::string("\0\x01z", 3), std::string("\0\x01", 2)) == reply_verdict::pass);
}

TEST_CASE("http: the status code must be in the class or equal the code", "[health]") {
    CHECK(check_http_status("HTTP/1.1 200 OK\r\n", 200, 299) == reply_verdict::pass);
    CHECK(check_http_status("HTTP/1.0 204 No Content\r\n", 200, 299) == reply_verdict::pass);
    CHECK(check_http_status("HTTP/1.1 503 Service Unavailable\r\n", 200, 299) ==
          reply_verdict::mismatch);
    CHECK(check_http_status("HTTP/1.1 204\r\n", 204, 204) == reply_verdict::pass);
    CHECK(check_http_status("HTTP/1.1 200 OK\r\n", 204, 204) == reply_verdict::mismatch);
    CHECK(check_http_status("HTTP/2 301 \r\n", 300, 399) == reply_verdict::pass);
}

TEST_CASE("http: a status line arriving byte by byte is judged once whole", "[health]") {
    std::string line = "HTTP/1.1 200 OK\r\n";
    for (std::size_t n = 0; n < 13; ++n)
        CHECK(check_http_status(line.substr(0, n), 200, 299) == reply_verdict::need_more);
    CHECK(check_http_status(line.substr(0, 13), 200, 299) == reply_verdict::pass);
    // "HTTP/1.1 200" and then the backend closes: the code ends the reply.
    CHECK(check_http_status("HTTP/1.1 200", 200, 299) == reply_verdict::need_more);
    CHECK(check_http_status("HTTP/1.1 200", 200, 299, true) == reply_verdict::pass);
    CHECK(check_http_status("HTTP/1.1 20", 200, 299, true) == reply_verdict::need_more);
}

TEST_CASE("http: what is not a status line is a mismatch, early", "[health]") {
    CHECK(check_http_status("SSH-2.0-OpenSSH\r\n", 200, 299) == reply_verdict::mismatch);
    CHECK(check_http_status("HTTX", 200, 299) == reply_verdict::mismatch);
    CHECK(check_http_status("HTTP/ 200 OK", 200, 299) == reply_verdict::mismatch);
    CHECK(check_http_status("HTTP/1.1 2x0 OK", 200, 299) == reply_verdict::mismatch);
    CHECK(check_http_status("HTTP/1.1 20", 200, 299) == reply_verdict::need_more);
    CHECK(check_http_status("HTTP/1.1 2000 OK", 200, 299) == reply_verdict::mismatch);
    CHECK(check_http_status("HTTP/1.1 200OK", 200, 299) == reply_verdict::mismatch);
    // A version that never ends: judged within a bounded prefix.
    CHECK(check_http_status("HTTP/" + std::string(300, '1'), 200, 299) == reply_verdict::mismatch);
    CHECK(check_http_status("HTTP/" + std::string(100, '1'), 200, 299) == reply_verdict::need_more);
}

TEST_CASE("any bytes at all never crash the judges", "[health]") {
    std::string junk;
    std::uint32_t x = 12345;
    for (int i = 0; i < 2000; ++i) {
        x = x * 1664525u + 1013904223u;
        junk.push_back(static_cast<char>(x >> 24));
        (void)check_http_status(junk, 200, 299, (x & 1) != 0);
        (void)check_expect(junk, "HTTP/1.1 200");
    }
    SUCCEED();
}
