// edge-load's command line: unit parsers, defaults per mode, and the errors scripts rely on.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tools/edge_load/cli.hpp"

using namespace edge::load;

namespace {
options parse(std::vector<std::string> words) {
    return parse_args(words);
}
}  // namespace

TEST_CASE("durations, sizes, rates and CPU lists") {
    CHECK(parse_duration_ns("10") == 10'000'000'000ull);
    CHECK(parse_duration_ns("10s") == 10'000'000'000ull);
    CHECK(parse_duration_ns("250ms") == 250'000'000ull);
    CHECK(parse_duration_ns("500us") == 500'000ull);
    CHECK(parse_duration_ns("2m") == 120'000'000'000ull);
    CHECK(parse_duration_ns("1.5s") == 1'500'000'000ull);
    CHECK_FALSE(parse_duration_ns("").has_value());
    CHECK_FALSE(parse_duration_ns("ten").has_value());
    CHECK_FALSE(parse_duration_ns("-1s").has_value());

    CHECK(parse_size("64") == 64u);
    CHECK(parse_size("4k") == 4096u);
    CHECK(parse_size("16KiB") == 16384u);
    CHECK(parse_size("1M") == 1048576u);
    CHECK(parse_size("2G") == 2147483648ull);
    CHECK(parse_size("1MB") == 1048576u);
    CHECK_FALSE(parse_size("k").has_value());
    CHECK_FALSE(parse_size("12q").has_value());

    CHECK(parse_rate("1000") == Approx(1000));
    CHECK(parse_rate("1000/s") == Approx(1000));
    CHECK(parse_rate("5k/s") == Approx(5000));
    CHECK(parse_rate("2.5k") == Approx(2500));
    CHECK_FALSE(parse_rate("/s").has_value());

    CHECK(parse_cpu_list("0-3,5,7-8") == std::vector<int>{0, 1, 2, 3, 5, 7, 8});
    CHECK(parse_cpu_list("1") == std::vector<int>{1});
    CHECK_FALSE(parse_cpu_list("3-1").has_value());
    CHECK_FALSE(parse_cpu_list("a").has_value());
}

TEST_CASE("endpoints and source sets") {
    auto e = parse_endpoint("127.0.0.1:8080");
    REQUIRE(e);
    CHECK(e->port() == 8080);
    CHECK(to_string(*e) == "127.0.0.1:8080");
    CHECK(e->is_loopback());
    auto v6 = parse_endpoint("[::1]:443");
    REQUIRE(v6);
    CHECK(to_string(*v6) == "[::1]:443");
    CHECK(to_string(*parse_endpoint("localhost:1")) == "127.0.0.1:1");
    CHECK_FALSE(parse_endpoint("127.0.0.1").has_value());
    CHECK_FALSE(parse_endpoint("127.0.0.1:70000").has_value());
    CHECK_FALSE(parse_endpoint("::1:80").has_value());
    CHECK_FALSE(parse_endpoint("example.com:80").has_value());

    auto s = source_set::parse("127.1.0.0/30,127.2.0.5-127.2.0.7,127.3.0.9");
    REQUIRE(s);
    CHECK(s->size() == 2 + 3 + 1);  // /30 without network and broadcast addresses
    CHECK(to_string(s->at(0)) == "127.1.0.1:0");
    CHECK(to_string(s->at(1)) == "127.1.0.2:0");
    CHECK(to_string(s->at(2)) == "127.2.0.5:0");
    CHECK(to_string(s->at(4)) == "127.2.0.7:0");
    CHECK(to_string(s->at(5)) == "127.3.0.9:0");
    CHECK(to_string(s->at(6)) == "127.1.0.1:0");  // round-robin
    CHECK_FALSE(source_set::parse("127.0.0.9-127.0.0.1").has_value());
    CHECK_FALSE(source_set::parse("127.0.0.0/33").has_value());
}

TEST_CASE("rate: defaults and flags") {
    auto o = parse({"rate", "127.0.0.1:9000"});
    CHECK(o.run_mode == mode::rate);
    REQUIRE(o.targets.size() == 1);
    CHECK(o.duration_ns == 10'000'000'000ull);  // bounded even without --duration
    CHECK(o.concurrency == 64);
    CHECK(o.send_bytes == 64);
    CHECK(o.recv_bytes == 64);  // the default backend echoes
    CHECK(o.rate == 0);
    CHECK(o.max_errors == 0);

    o = parse({"rate", "--target", "127.0.0.1:9000", "--rate=20k/s", "--count", "1000", "--send",
               "100", "--recv", "eof", "--threads", "2", "--cpus", "0,1", "--max-errors", "1.5%",
               "--json", "out.json"});
    CHECK(o.rate == Approx(20000));
    CHECK(o.count == 1000);
    CHECK(o.duration_ns == 0);  // --count alone bounds the run
    CHECK(o.recv_until_eof);
    CHECK(o.threads == 2);
    CHECK(o.cpus == std::vector<int>{0, 1});
    CHECK(o.max_error_fraction == Approx(0.015));
    CHECK(o.json_path == "out.json");
}

TEST_CASE("mode defaults: rr, bulk, hold, serve") {
    auto rr = parse({"rr", "127.0.0.1:1", "--send", "32", "--recv", "1k"});
    CHECK(rr.connections == 16);
    CHECK(rr.recv_bytes == 1024);
    auto bulk = parse({"bulk", "127.0.0.1:1", "--bytes", "1G", "--direction", "up"});
    CHECK(bulk.bytes == (1ull << 30));
    CHECK(bulk.dir == direction::up);
    CHECK(bulk.duration_ns == 0);  // --bytes bounds the run
    auto hold = parse({"hold", "127.0.0.1:1", "--connections", "100", "--hold", "3s"});
    CHECK(hold.send_bytes == 0);
    CHECK(hold.recv_bytes == 0);
    CHECK(hold.hold_ns == 3'000'000'000ull);
    CHECK(hold.concurrency == 512);
    auto banner = parse({"hold", "127.0.0.1:1", "--connections", "1", "--recv", "6"});
    CHECK(banner.send_bytes == 0);
    CHECK(banner.recv_bytes == 6);
    auto serve =
        parse({"serve", "--listen", "127.0.0.1:0", "--listen", "[::1]:0", "--mode", "reply",
               "--request", "32", "--reply", "1k", "--banner", "b1", "--stats", "s.json"});
    CHECK(serve.listen.size() == 2);
    CHECK(serve.smode == serve_mode::reply);
    CHECK(serve.reply_size == 1024);
    CHECK(serve.banner == "b1");
    CHECK(serve.duration_ns == 0);  // serve runs until a signal
    CHECK_FALSE(serve.close_after_reply);
    auto closes =
        parse({"serve", "--listen", "127.0.0.1:0", "--mode", "reply", "--close-after-reply"});
    CHECK(closes.close_after_reply);
    auto text =
        parse({"rate", "127.0.0.1:1", "--send-text", "GET / HTTP/1.0\r\n\r\n", "--recv", "eof"});
    CHECK(text.send_text == "GET / HTTP/1.0\r\n\r\n");
    CHECK(text.send_bytes == 18);
    CHECK(text.recv_until_eof);
}

TEST_CASE("command-line errors name the problem") {
    auto fails_with = [](std::vector<std::string> words, const std::string& needle) {
        try {
            parse_args(words);
        } catch (const usage_error& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(needle) != std::string::npos);
            return;
        }
        FAIL("no usage_error for " << words[0]);
    };
    fails_with({}, "mode is required");
    fails_with({"blast"}, "unknown mode");
    fails_with({"rate"}, "target");
    fails_with({"rate", "127.0.0.1:1", "--bogus"}, "unknown flag");
    fails_with({"rate", "127.0.0.1:1", "--concurency", "3"}, "did you mean '--concurrency'?");
    fails_with({"rtae"}, "unknown mode 'rtae' (did you mean 'rate'?)");
    fails_with({"rate", "127.0.0.1:1", "--mode", "echo"}, "does not apply to mode rate");
    fails_with({"serve", "--listen", "127.0.0.1:0", "--rate", "5"}, "does not apply");
    fails_with({"rate", "127.0.0.1:1", "--count"}, "needs a value");
    fails_with({"rate", "127.0.0.1:1", "--count", "0"}, "--count");
    fails_with({"rate", "127.0.0.1:1", "--rate", "fast"}, "--rate");
    fails_with({"rr", "127.0.0.1:1", "--recv", "eof"}, "eof");
    fails_with({"hold", "127.0.0.1:1"}, "--connections");
    fails_with({"serve"}, "--listen");
    fails_with({"serve", "--listen", "127.0.0.1:0", "--mode", "mirror"}, "echo|sink|source|reply");
    fails_with({"bulk", "127.0.0.1:1", "--direction", "sideways"}, "up|down|both");
    fails_with({"rate", "nowhere"}, "ADDR:PORT");
    fails_with({"rate", "127.0.0.1:1", "--send", "5M"}, "--send must be at most 4 MiB");
    fails_with({"bulk", "127.0.0.1:1", "--chunk", "8M"}, "--chunk");
    fails_with({"serve", "--listen", "127.0.0.1:0", "--close-after-reply"}, "--mode reply");
    fails_with({"rr", "127.0.0.1:1", "--send-text", "x"}, "does not apply to mode rr");
}
