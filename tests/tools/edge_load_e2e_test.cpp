// edge-load end to end: its own backend (serve) against each client mode over loopback. Every
// test checks that the client's counts, the bytes it reports and the bytes the backend saw agree,
// and that a missing or misbehaving target makes the run fail (non-zero exit) instead of
// reporting a fast figure.

#include <catch2/catch.hpp>

#include <signal.h>

#include "tests/support/process.hpp"
#include "tests/support/sockets.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/tools/edge_load_run.hpp"

using namespace edge::test;

TEST_CASE("rate against an echo backend: every connection completes and bytes add up") {
    temp_dir dir;
    serve_backend backend(dir, "echo", {});
    auto r = run_load(
        dir, {"rate", backend.target(), "--count", "2000", "--send", "100", "--concurrency", "32"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.num("attempted") == 2000);
    CHECK(r.num("completed") == 2000);
    CHECK(r.num("errors.total") == 0);
    CHECK(r.num("bytes.sent") == 200000);
    CHECK(r.num("bytes.received") == 200000);
    CHECK(r.num("latency_us.connect.count") == 2000);
    CHECK(r.num("latency_us.first_byte.p50") > 0);
    CHECK(r.num("latency_us.first_byte.p50") <= r.num("latency_us.first_byte.p99"));
    CHECK(r.num("latency_us.first_byte.p99") <= r.num("latency_us.first_byte.max"));
    const std::string stats = backend.stop();
    INFO(stats);
    CHECK(json_number(stats, "connections") == 2000);
    CHECK(json_number(stats, "closed") == 2000);
    CHECK(json_number(stats, "bytes_received") == 200000);
    CHECK(json_number(stats, "bytes_sent") == 200000);
}

TEST_CASE("rate against a backend that answers and closes first (HTTP/1.0 style)") {
    // The backend replies once it has the whole request, then closes; the client reads to EOF.
    const std::string request = "GET /small HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    temp_dir dir;
    serve_backend backend(dir, "reply",
                          {"--mode", "reply", "--request", std::to_string(request.size()),
                           "--reply", "700", "--close-after-reply"});
    auto r = run_load(dir, {"rate", backend.target(), "--count", "500", "--concurrency", "32",
                            "--send-text", request, "--recv", "eof"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.num("completed") == 500);
    CHECK(r.num("bytes.sent") == 500.0 * double(request.size()));
    CHECK(r.num("bytes.received") == 500 * 700);
    const std::string stats = backend.stop();
    INFO(stats);
    CHECK(json_number(stats, "closed") == 500);
    CHECK(json_number(stats, "bytes_sent") == 500 * 700);
    CHECK(json_number(stats, "errors") == 0);
}

TEST_CASE("without --close-after-reply the reply backend waits for the client to close") {
    // A client that expects the server to close first times out against a keep-alive backend.
    temp_dir dir;
    serve_backend backend(dir, "reply", {"--mode", "reply", "--request", "10", "--reply", "20"});
    auto r = run_load(dir, {"rate", backend.target(), "--count", "4", "--send", "10", "--recv",
                            "eof", "--timeout", "300ms"});
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.num("errors.timeout") == 4);
}

TEST_CASE("rate at a fixed rate keeps to its schedule") {
    temp_dir dir;
    serve_backend backend(dir, "echo", {});
    auto r = run_load(dir, {"rate", backend.target(), "--rate", "1000/s", "--count", "500"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.num("completed") == 500);
    // 500 connections due over 0.5 s: not much faster, and not much slower on a quiet machine.
    CHECK(r.num("elapsed_s") >= 0.45);
    CHECK(r.num("elapsed_s") < 2.0);
    CHECK(r.num("figures.missed_starts") == 0);
}

TEST_CASE("rate with several threads and source addresses") {
    temp_dir dir;
    serve_backend backend(dir, "echo", {"--threads", "2"});
    auto r = run_load(dir, {"rate", backend.target(), "--count", "1000", "--threads", "2",
                            "--source", "127.3.0.1-127.3.0.8", "--recv", "64"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.num("completed") == 1000);
    const std::string stats = backend.stop();
    CHECK(json_number(stats, "connections") == 1000);
}

TEST_CASE("rate against nothing listening reports refusals and fails") {
    temp_dir dir;
    const std::string target = "127.0.0.1:" + std::to_string(refused_port());
    auto r = run_load(dir, {"rate", target, "--count", "50"});
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.num("completed") == 0);
    CHECK(r.num("errors.refused") == 50);
    CHECK(r.output.find("FAILED") != std::string::npos);
    // A threshold above the error count lets the run pass.
    auto tolerant = run_load(dir, {"rate", target, "--count", "50", "--max-errors", "100%"});
    CHECK(tolerant.exit_code == 0);
}

TEST_CASE("rate against a backend that resets reports resets and fails") {
    temp_dir dir;
    serve_backend backend(dir, "reset", {"--reset"});
    auto r = run_load(dir, {"rate", backend.target(), "--count", "200"});
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.num("errors.reset") + r.num("errors.short_read") == 200);
    CHECK(r.num("errors.reset") > 0);
    const std::string stats = backend.stop();
    CHECK(json_number(stats, "resets_sent") == 200);
}

// Regression: a connection is one linked chain socket → connect → send (skip-success) → recv.
// When the send failed (the backend's RST arrived first), the kernel cancelled the recv without
// posting its completion, the slot waited for it forever, and the run never ended. A 4 MiB send
// cannot finish before the RST, so here the send always fails.
TEST_CASE("rate: a send failing inside the chain ends the connection") {
    temp_dir dir;
    serve_backend backend(dir, "reset", {"--reset"});
    auto r = run_load(dir, {"rate", backend.target(), "--count", "50", "--send", "4M", "--recv",
                            "64", "--timeout", "20s"});
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.num("errors.reset") == 50);
    CHECK(r.num("elapsed_s") < 10);
}

TEST_CASE("rate notices wrong and missing bytes") {
    temp_dir dir;
    serve_backend reply(dir, "reply", {"--mode", "reply", "--request", "64", "--reply", "100"});
    auto too_many = run_load(dir, {"rate", reply.target(), "--count", "20", "--recv", "64"});
    INFO(too_many.output);
    CHECK(too_many.exit_code == 1);
    CHECK(too_many.num("errors.wrong_bytes") == 20);
    // The wrong-bytes failure holds even when errors are tolerated.
    auto tolerant = run_load(
        dir, {"rate", reply.target(), "--count", "20", "--recv", "64", "--max-errors", "100"});
    CHECK(tolerant.exit_code == 1);
    // The reply backend keeps the connection open after its reply: a read past it times out.
    auto timed = run_load(
        dir, {"rate", reply.target(), "--count", "5", "--recv", "200", "--timeout", "300ms"});
    CHECK(timed.exit_code == 1);
    CHECK(timed.num("errors.timeout") == 5);
    serve_backend source(dir, "source", {"--mode", "source", "--bytes", "1000"});
    auto eof =
        run_load(dir, {"rate", source.target(), "--count", "20", "--send", "0", "--recv", "eof"});
    CHECK(eof.exit_code == 0);
    CHECK(eof.num("bytes.received") == 20000);
    auto short_read =
        run_load(dir, {"rate", source.target(), "--count", "20", "--send", "0", "--recv", "2000"});
    CHECK(short_read.exit_code == 1);
    CHECK(short_read.num("errors.short_read") == 20);
}

TEST_CASE("rr: request counts and response bytes agree with the backend") {
    temp_dir dir;
    serve_backend backend(dir, "reply", {"--mode", "reply", "--request", "32", "--reply", "1000"});
    auto r = run_load(dir, {"rr", backend.target(), "--count", "3000", "--connections", "4",
                            "--send", "32", "--recv", "1000"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.num("completed") == 3000);
    CHECK(r.num("bytes.sent") == 3000 * 32);
    CHECK(r.num("bytes.received") == 3000 * 1000);
    CHECK(r.num("latency_us.request.count") == 3000);
    CHECK(r.num("latency_us.connect.count") == 4);
    const std::string stats = backend.stop();
    INFO(stats);
    CHECK(json_number(stats, "connections") == 4);
    CHECK(json_number(stats, "bytes_received") == 3000 * 32);
    CHECK(json_number(stats, "bytes_sent") == 3000 * 1000);
}

TEST_CASE("rr at a fixed rate sends what was scheduled") {
    temp_dir dir;
    serve_backend backend(dir, "echo", {});
    auto r = run_load(
        dir, {"rr", backend.target(), "--rate", "2000", "--duration", "1s", "--connections", "4"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.num("completed") >= 1900);
    CHECK(r.num("completed") <= 2001);
    CHECK(r.num("latency_us.request.p50") > 0);
}

TEST_CASE("rr against nothing listening fails fast") {
    temp_dir dir;
    const std::string target = "127.0.0.1:" + std::to_string(refused_port());
    auto r = run_load(dir, {"rr", target, "--duration", "5s", "--connections", "3"});
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.num("errors.refused") == 3);
    CHECK(r.num("elapsed_s") < 1.0);
}

TEST_CASE("bulk both ways through echo moves and checks every byte") {
    temp_dir dir;
    serve_backend backend(dir, "echo", {});
    auto r = run_load(dir, {"bulk", backend.target(), "--bytes", "8M", "--streams", "2"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.num("completed") == 2);
    CHECK(r.num("bytes.sent") == 2 * 8 * 1048576.0);
    CHECK(r.num("bytes.received") == 2 * 8 * 1048576.0);
    CHECK(r.num("figures.down_GBps") > 0);
    const std::string stats = backend.stop();
    CHECK(json_number(stats, "bytes_received") == 2 * 8 * 1048576.0);
    CHECK(json_number(stats, "bytes_sent") == 2 * 8 * 1048576.0);
}

TEST_CASE("bulk up into a sink and down from a source") {
    temp_dir dir;
    serve_backend sink(dir, "sink", {"--mode", "sink"});
    auto up = run_load(
        dir, {"bulk", sink.target(), "--bytes", "4M", "--direction", "up", "--streams", "3"});
    INFO(up.output);
    CHECK(up.exit_code == 0);
    CHECK(up.num("bytes.sent") == 3 * 4 * 1048576.0);
    CHECK(json_number(sink.stop(), "bytes_received") == 3 * 4 * 1048576.0);

    serve_backend source(dir, "source", {"--mode", "source"});
    auto down = run_load(dir, {"bulk", source.target(), "--bytes", "4M", "--direction", "down"});
    INFO(down.output);
    CHECK(down.exit_code == 0);
    CHECK(down.num("bytes.received") == 4 * 1048576.0);
    // A source that stops early is a short read.
    serve_backend early(dir, "early", {"--mode", "source", "--bytes", "1M"});
    auto cut = run_load(dir, {"bulk", early.target(), "--bytes", "4M", "--direction", "down"});
    CHECK(cut.exit_code == 1);
    CHECK(cut.num("errors.short_read") == 1);
}

TEST_CASE("hold keeps connections to a banner backend and counts the survivors") {
    temp_dir dir;
    serve_backend backend(dir, "banner", {"--banner", "hello"});
    auto r = run_load(
        dir, {"hold", backend.target(), "--connections", "500", "--hold", "500ms", "--recv", "6"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("holding 500 connections") != std::string::npos);
    CHECK(r.num("figures.established") == 500);
    CHECK(r.num("figures.alive_at_end") == 500);
    CHECK(r.num("bytes.received") == 500 * 6);
    const std::string stats = backend.stop();
    CHECK(json_number(stats, "connections") == 500);
}

TEST_CASE("hold reports connections lost when the backend dies during the hold") {
    temp_dir dir;
    serve_backend backend(dir, "victim", {});
    const std::string json_path = dir.file("hold.json");
    child_process hold({edge_load_bin(), "hold", backend.target(), "--connections", "200", "--hold",
                        "2s", "--json", json_path},
                       spawn_options{{}, std::nullopt, dir.file("hold.log")});
    REQUIRE(hold.wait_for_output("holding 200 connections", 10000ms));
    backend.process().signal(SIGKILL);  // the kernel closes every backend socket
    auto rc = hold.wait_exit(10000ms);
    INFO(hold.output());
    REQUIRE(rc);
    CHECK(*rc == 1);
    const std::string json = slurp(json_path);
    CHECK(json_number(json, "figures.established") == 200);
    CHECK(json_number(json, "figures.alive_at_end") == 0);
}

TEST_CASE("serve: banner first, then the mode; SIGTERM exits 0 with stats") {
    temp_dir dir;
    serve_backend backend(
        dir, "banner",
        {"--banner", "backend-7", "--mode", "reply", "--request", "4", "--reply", "3"});
    auto fd = connect_tcp(backend.port());
    REQUIRE(fd);
    REQUIRE(send_all(fd.get(), std::string("abcdefgh")));  // two requests
    auto got = read_exact(fd.get(), 10 + 6);
    REQUIRE(got);
    CHECK(got->substr(0, 10) == "backend-7\n");
    CHECK(got->substr(10) == std::string("\x00\x01\x02\x03\x04\x05", 6));  // the pattern, on
    fd.reset();
    const std::string stats = backend.stop();
    CHECK(json_number(stats, "bytes_received") == 8);
    CHECK(json_number(stats, "bytes_sent") == 16);
}

TEST_CASE("the command line: help, version and errors") {
    auto help = run_command({edge_load_bin(), "--help"});
    CHECK(help.first == 0);
    CHECK(help.second.find("usage: edge-load MODE") != std::string::npos);
    CHECK(run_command({edge_load_bin(), "--version"}).first == 0);
    auto bad = run_command({edge_load_bin(), "rate", "127.0.0.1:1", "--nope"});
    CHECK(bad.first == 2);
    CHECK(bad.second.find("unknown flag '--nope'") != std::string::npos);
}
