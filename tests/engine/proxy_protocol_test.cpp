// PROXY protocol v1/v2: valid headers, LOCAL and UNKNOWN, every truncation length, malformed and
// oversize headers, and format → parse round trips.
#include "engine/codec/proxy_protocol.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace edge;
using namespace edge::engine;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

proxy_parse_result parse(const std::vector<std::uint8_t>& b,
                         std::size_t max = proxy_v2_default_max_length) {
    return parse_proxy_header(std::span<const std::uint8_t>(b.data(), b.size()), max);
}

socket_address v4(const char* ip, std::uint16_t port) {
    socket_address a;
    a.addr.v4.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.addr.v4.sin_addr);
    a.addr.v4.sin_port = htons(port);
    a.len = sizeof(sockaddr_in);
    return a;
}

socket_address v6(const char* ip, std::uint16_t port) {
    socket_address a;
    a.addr.v6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &a.addr.v6.sin6_addr);
    a.addr.v6.sin6_port = htons(port);
    a.len = sizeof(sockaddr_in6);
    return a;
}

std::string text(const socket_address& a) {
    if (a.len == 0) return "-";
    char ip[INET6_ADDRSTRLEN] = "";
    char out[INET6_ADDRSTRLEN + 16];
    if (a.addr.sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &a.addr.v4.sin_addr, ip, sizeof ip);
        std::snprintf(out, sizeof out, "%s:%u", ip, unsigned{ntohs(a.addr.v4.sin_port)});
    } else {
        inet_ntop(AF_INET6, &a.addr.v6.sin6_addr, ip, sizeof ip);
        std::snprintf(out, sizeof out, "[%s]:%u", ip, unsigned{ntohs(a.addr.v6.sin6_port)});
    }
    return out;
}

const std::uint8_t v2_sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

std::vector<std::uint8_t> v2_header(std::uint8_t ver_cmd, std::uint8_t fam,
                                    const std::vector<std::uint8_t>& body) {
    std::vector<std::uint8_t> h(v2_sig, v2_sig + 12);
    h.push_back(ver_cmd);
    h.push_back(fam);
    h.push_back(static_cast<std::uint8_t>(body.size() >> 8));
    h.push_back(static_cast<std::uint8_t>(body.size() & 0xff));
    h.insert(h.end(), body.begin(), body.end());
    return h;
}

// Every strict prefix of a complete header must ask for more bytes, never succeed or fail.
void check_every_truncation(const std::vector<std::uint8_t>& full) {
    for (std::size_t n = 0; n < full.size(); ++n) {
        std::vector<std::uint8_t> part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        auto r = parse(part);
        INFO("prefix length " << n);
        REQUIRE(r.status == proxy_parse_status::need_more);
        CHECK(r.need > n);
        CHECK(r.need <= full.size());
    }
}

}  // namespace

TEST_CASE("v1 TCP4 and TCP6, payload after the header untouched") {
    auto b = bytes("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\nGET / HTTP/1.1\r\n");
    auto r = parse(b);
    REQUIRE(r.status == proxy_parse_status::done);
    CHECK(r.header.version == proxy_version::v1);
    CHECK(r.header.kind == proxy_kind::proxy);
    CHECK(r.header.length == 46);
    CHECK(text(r.header.source) == "192.0.2.10:56324");
    CHECK(text(r.header.destination) == "198.51.100.1:443");

    auto b6 = bytes("PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n");
    auto r6 = parse(b6);
    REQUIRE(r6.status == proxy_parse_status::done);
    CHECK(r6.header.length == b6.size());
    CHECK(text(r6.header.source) == "[2001:db8::1]:65535");
    CHECK(text(r6.header.destination) == "[2001:db8::2]:0");

    auto mapped = parse(bytes("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n"));
    REQUIRE(mapped.status == proxy_parse_status::done);
    CHECK(text(mapped.header.source) == "[::ffff:192.0.2.1]:1");
}

TEST_CASE("v1 UNKNOWN, with or without the rest of the line") {
    auto r = parse(bytes("PROXY UNKNOWN\r\nxyz"));
    REQUIRE(r.status == proxy_parse_status::done);
    CHECK(r.header.kind == proxy_kind::unknown);
    CHECK(r.header.length == 15);
    CHECK(r.header.source.len == 0);
    auto r2 = parse(bytes("PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\n"));
    REQUIRE(r2.status == proxy_parse_status::done);
    CHECK(r2.header.kind == proxy_kind::unknown);
}

TEST_CASE("v1: every truncation asks for more") {
    check_every_truncation(bytes("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n"));
    check_every_truncation(bytes("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n"));
    check_every_truncation(bytes("PROXY UNKNOWN\r\n"));
}

TEST_CASE("v1: malformed headers, each with its reason") {
    struct bad {
        const char* in;
        proxy_error why;
    };
    const bad cases[] = {
        {"GET / HTTP/1.1\r\n", proxy_error::not_proxy},
        {"PROXZ TCP4", proxy_error::not_proxy},
        {"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", proxy_error::not_proxy},
        {"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", proxy_error::v1_bad_protocol},
        {"PROXY \r\n", proxy_error::v1_bad_protocol},
        {"PROXY TCP4\r\n", proxy_error::v1_bad_syntax},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", proxy_error::v1_bad_syntax},
        {"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", proxy_error::v1_bad_syntax},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", proxy_error::v1_bad_syntax},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", proxy_error::v1_bad_syntax},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", proxy_error::v1_bad_syntax},
        {"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", proxy_error::v1_bad_syntax},
        {"PROXY TCP4 1.2.3.4 2001:db8::1 1 2\r\n", proxy_error::v1_bad_address},
        {"PROXY TCP6 1.2.3.4 2001:db8::1 1 2\r\n", proxy_error::v1_bad_address},
        {"PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", proxy_error::v1_bad_address},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", proxy_error::v1_bad_port},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", proxy_error::v1_bad_port},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n", proxy_error::v1_bad_port},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 1 123456\r\n", proxy_error::v1_bad_port},
    };
    for (const auto& c : cases) {
        INFO(c.in);
        auto r = parse(bytes(c.in));
        REQUIRE(r.status == proxy_parse_status::malformed);
        CHECK(r.error == c.why);
        CHECK(std::string(describe(r.error)) != "unknown");
    }
}

TEST_CASE("v1: the 107-byte bound") {
    // The longest legal line (UNKNOWN with the specification's worst case) is exactly 107 bytes.
    std::string longest =
        "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    REQUIRE(longest.size() == 107);
    CHECK(parse(bytes(longest)).status == proxy_parse_status::done);
    // One byte longer, and no CRLF in 107 bytes: too long, whatever follows.
    std::string longer = "PROXY UNKNOWN " + std::string(93, 'x') + "\r\n";
    REQUIRE(longer.size() == 109);
    auto r = parse(bytes(longer));
    REQUIRE(r.status == proxy_parse_status::malformed);
    CHECK(r.error == proxy_error::v1_too_long);
    std::string no_end = "PROXY TCP4 " + std::string(200, '1');
    auto r2 = parse(bytes(no_end));
    REQUIRE(r2.status == proxy_parse_status::malformed);
    CHECK(r2.error == proxy_error::v1_too_long);
    // 106 bytes without CRLF: still waiting.
    auto r3 = parse(bytes(no_end.substr(0, 106)));
    CHECK(r3.status == proxy_parse_status::need_more);
}

TEST_CASE("v2 PROXY over IPv4 and IPv6, TLVs skipped") {
    std::vector<std::uint8_t> body4 = {192, 0, 2, 10, 198, 51, 100, 1, 0xdc, 0x04, 0x01, 0xbb};
    auto h4 = v2_header(0x21, 0x11, body4);
    h4.push_back('X');  // payload
    auto r = parse(h4);
    REQUIRE(r.status == proxy_parse_status::done);
    CHECK(r.header.version == proxy_version::v2);
    CHECK(r.header.kind == proxy_kind::proxy);
    CHECK(r.header.length == 28);
    CHECK(text(r.header.source) == "192.0.2.10:56324");
    CHECK(text(r.header.destination) == "198.51.100.1:443");

    std::vector<std::uint8_t> body6(36, 0);
    body6[0] = 0x20;
    body6[1] = 0x01;
    body6[15] = 1;
    body6[16] = 0x20;
    body6[17] = 0x01;
    body6[31] = 2;
    body6[33] = 80;
    body6[35] = 81;
    // TLVs: PP2_TYPE_AUTHORITY "example.com" and a NOOP.
    std::vector<std::uint8_t> tlvs = {0x02, 0,   11,  'e', 'x',  'a', 'm', 'p', 'l', 'e',
                                      '.',  'c', 'o', 'm', 0x04, 0,   2,   0,   0};
    body6.insert(body6.end(), tlvs.begin(), tlvs.end());
    auto h6 = v2_header(0x21, 0x21, body6);
    auto r6 = parse(h6);
    REQUIRE(r6.status == proxy_parse_status::done);
    CHECK(r6.header.length == h6.size());
    CHECK(text(r6.header.source) == "[2001::1]:80");
    CHECK(text(r6.header.destination) == "[2001::2]:81");

    check_every_truncation(h6);
    check_every_truncation(v2_header(0x21, 0x11, body4));
}

TEST_CASE("v2 LOCAL, UNSPEC and UNIX: use the connection's own addresses") {
    auto local = v2_header(0x20, 0x00, {});
    auto r = parse(local);
    REQUIRE(r.status == proxy_parse_status::done);
    CHECK(r.header.kind == proxy_kind::local);
    CHECK(r.header.length == 16);
    // LOCAL may still carry (ignored) addresses.
    auto local_with = v2_header(0x20, 0x11, std::vector<std::uint8_t>(12, 7));
    auto rl = parse(local_with);
    REQUIRE(rl.status == proxy_parse_status::done);
    CHECK(rl.header.kind == proxy_kind::local);
    CHECK(rl.header.length == 28);
    CHECK(rl.header.source.len == 0);

    auto unspec = parse(v2_header(0x21, 0x00, {}));
    REQUIRE(unspec.status == proxy_parse_status::done);
    CHECK(unspec.header.kind == proxy_kind::unknown);
    auto unix_ = parse(v2_header(0x21, 0x31, std::vector<std::uint8_t>(216, 'a')));
    REQUIRE(unix_.status == proxy_parse_status::done);
    CHECK(unix_.header.kind == proxy_kind::unknown);
    check_every_truncation(local);
}

TEST_CASE("v2: malformed headers, each with its reason") {
    auto bad_version = parse(v2_header(0x11, 0x11, std::vector<std::uint8_t>(12)));
    CHECK(bad_version.error == proxy_error::v2_bad_version);
    auto bad_command = parse(v2_header(0x22, 0x11, std::vector<std::uint8_t>(12)));
    CHECK(bad_command.error == proxy_error::v2_bad_command);
    auto bad_family = parse(v2_header(0x21, 0x41, std::vector<std::uint8_t>(12)));
    CHECK(bad_family.error == proxy_error::v2_bad_family);
    auto bad_transport = parse(v2_header(0x21, 0x13, std::vector<std::uint8_t>(12)));
    CHECK(bad_transport.error == proxy_error::v2_bad_family);
    auto short4 = parse(v2_header(0x21, 0x11, std::vector<std::uint8_t>(11)));
    CHECK(short4.error == proxy_error::v2_short_address);
    auto short6 = parse(v2_header(0x21, 0x21, std::vector<std::uint8_t>(35)));
    CHECK(short6.error == proxy_error::v2_short_address);
    auto short_unix = parse(v2_header(0x21, 0x31, std::vector<std::uint8_t>(215)));
    CHECK(short_unix.error == proxy_error::v2_short_address);
    // A broken signature is "not PROXY", already at the first wrong byte.
    std::vector<std::uint8_t> sig(v2_sig, v2_sig + 12);
    sig[7] = 'q';
    CHECK(parse(sig).error == proxy_error::not_proxy);
    std::vector<std::uint8_t> early = {0x0d, 0x0a, 0x0d, 0x0b};
    CHECK(parse(early).error == proxy_error::not_proxy);
    // Version and family are checked as soon as their byte arrives.
    auto partial = v2_header(0x31, 0x11, {});
    partial.resize(13);
    CHECK(parse(partial).error == proxy_error::v2_bad_version);
}

TEST_CASE("v2: the length bound, before the bytes arrive") {
    auto big = v2_header(0x21, 0x11, std::vector<std::uint8_t>(2000, 0));
    auto head_only = std::vector<std::uint8_t>(big.begin(), big.begin() + 16);
    auto r = parse(head_only);  // the declared length alone is enough to refuse
    REQUIRE(r.status == proxy_parse_status::malformed);
    CHECK(r.error == proxy_error::v2_too_long);
    auto allowed = parse(big, 16 + 2000);
    CHECK(allowed.status == proxy_parse_status::done);
    auto max = v2_header(0x21, 0x11, std::vector<std::uint8_t>(512, 0));
    CHECK(parse(max).status == proxy_parse_status::done);
    max.push_back(0);
    max[15] = 0x01;  // declares 513
    max[14] = 0x02;
    CHECK(parse(max).error == proxy_error::v2_too_long);
    // Waiting for the rest of an allowed header asks for exactly its size.
    auto want = parse(std::vector<std::uint8_t>(big.begin(), big.begin() + 20), 16 + 2000);
    CHECK(want.status == proxy_parse_status::need_more);
    CHECK(want.need == 2016);
}

TEST_CASE("not a header at all") {
    CHECK(parse(bytes("\x16\x03\x01")).error == proxy_error::not_proxy);  // a TLS ClientHello
    CHECK(parse(bytes("SSH-2.0-OpenSSH")).error == proxy_error::not_proxy);
    CHECK(parse({}).status == proxy_parse_status::need_more);
    CHECK(parse(bytes("P")).status == proxy_parse_status::need_more);
    CHECK(parse(bytes("\r")).status == proxy_parse_status::need_more);
}

TEST_CASE("format then parse gives the same addresses, v1 and v2") {
    struct pair_case {
        socket_address src, dst;
        const char* v1;
    };
    const pair_case cases[] = {
        {v4("192.0.2.10", 56324), v4("198.51.100.1", 443),
         "PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n"},
        {v6("2001:db8::1", 1), v6("2001:db8::2", 65535),
         "PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n"},
        // IPv4-mapped on both sides is written as IPv4.
        {v6("::ffff:192.0.2.10", 5), v6("::ffff:192.0.2.11", 6),
         "PROXY TCP4 192.0.2.10 192.0.2.11 5 6\r\n"},
        // Mixed families are both written as IPv6.
        {v4("192.0.2.10", 5), v6("2001:db8::2", 6),
         "PROXY TCP6 ::ffff:192.0.2.10 2001:db8::2 5 6\r\n"},
    };
    for (const auto& c : cases) {
        std::uint8_t buf[proxy_max_formatted_length];
        auto n1 = format_proxy_header(proxy_version::v1, c.src, c.dst, buf);
        REQUIRE(n1);
        CHECK(std::string(reinterpret_cast<char*>(buf), *n1) == c.v1);
        auto p1 = parse_proxy_header(std::span<const std::uint8_t>(buf, *n1));
        REQUIRE(p1.status == proxy_parse_status::done);
        CHECK(p1.header.length == *n1);

        auto n2 = format_proxy_header(proxy_version::v2, c.src, c.dst, buf);
        REQUIRE(n2);
        auto p2 = parse_proxy_header(std::span<const std::uint8_t>(buf, *n2));
        REQUIRE(p2.status == proxy_parse_status::done);
        CHECK(p2.header.length == *n2);
        CHECK(p2.header.kind == proxy_kind::proxy);
        CHECK(text(p2.header.source) == text(p1.header.source));
        CHECK(text(p2.header.destination) == text(p1.header.destination));
    }
    // The plain cases come back exactly as given.
    std::uint8_t buf[128];
    auto n = format_proxy_header(proxy_version::v2, cases[1].src, cases[1].dst, buf);
    auto p = parse_proxy_header(std::span<const std::uint8_t>(buf, *n));
    CHECK(text(p.header.source) == "[2001:db8::1]:1");
    CHECK(text(p.header.destination) == "[2001:db8::2]:65535");
}

TEST_CASE("format: unknown addresses, LOCAL, and a buffer too small") {
    socket_address none;
    std::uint8_t buf[128];
    auto n = format_proxy_header(proxy_version::v1, none, v4("1.2.3.4", 1), buf);
    REQUIRE(n);
    CHECK(std::string(reinterpret_cast<char*>(buf), *n) == "PROXY UNKNOWN\r\n");
    auto n2 = format_proxy_header(proxy_version::v2, none, none, buf);
    REQUIRE(n2);
    auto p2 = parse_proxy_header(std::span<const std::uint8_t>(buf, *n2));
    REQUIRE(p2.status == proxy_parse_status::done);
    CHECK(p2.header.kind == proxy_kind::unknown);

    auto nl = format_proxy_v2_local(buf);
    REQUIRE(nl);
    CHECK(*nl == 16);
    CHECK(parse_proxy_header(std::span<const std::uint8_t>(buf, *nl)).header.kind ==
          proxy_kind::local);

    // A too-small buffer is refused and not written past.
    std::uint8_t small[20];
    std::memset(small, 0xee, sizeof small);
    auto too_small = format_proxy_header(proxy_version::v1, v4("192.0.2.10", 1),
                                         v4("192.0.2.11", 2), std::span<std::uint8_t>(small, 10));
    CHECK_FALSE(too_small);
    for (std::size_t i = 10; i < sizeof small; ++i)
        CHECK(small[i] == 0xee);
    CHECK_FALSE(format_proxy_v2_local(std::span<std::uint8_t>(small, 15)));

    // The longest v1 header fits proxy_max_formatted_length.
    auto longest =
        format_proxy_header(proxy_version::v1, v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535),
                            v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535),
                            std::span<std::uint8_t>(buf, proxy_max_formatted_length));
    CHECK(longest);
}

TEST_CASE("random bytes: the parser stays within its input and its bounds") {
    std::mt19937 rng(99);
    std::vector<std::uint8_t> buf;
    for (int i = 0; i < 20000; ++i) {
        buf.resize(rng() % 300);
        for (auto& b : buf)
            b = static_cast<std::uint8_t>(rng());
        // Start many inputs with a real signature so the deeper states are reached.
        if (i % 3 == 0 && buf.size() >= 6) std::memcpy(buf.data(), "PROXY ", 6);
        if (i % 3 == 1 && buf.size() >= 16) {
            std::memcpy(buf.data(), v2_sig, 12);
            buf[12] = 0x21;
            buf[13] = static_cast<std::uint8_t>((rng() % 4) << 4 | (rng() % 3));
            buf[14] = 0;
        }
        auto r = parse(buf);
        if (r.status == proxy_parse_status::done) {
            REQUIRE(r.header.length <= buf.size());
            REQUIRE(r.header.length <= proxy_v2_default_max_length);
        } else if (r.status == proxy_parse_status::need_more) {
            REQUIRE(r.need > buf.size());
        } else {
            REQUIRE(r.error != proxy_error::none);
        }
    }
}
