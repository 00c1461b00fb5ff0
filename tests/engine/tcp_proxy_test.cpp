// The TCP proxy component driven in-process: a worker (the same host type as the binary's) on a
// thread of the test, with routing tables built in memory and handed over as the control thread
// would, relaying between loopback sockets of the test. No binary, no routing.db, no control
// thread: what is checked here is the component and the worker host themselves.
// Exits 77 (skipped) where io_uring is unavailable.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <thread>

#include "engine/host/listener_set.hpp"
#include "engine/host/worker.hpp"
#include "engine/tcp/tcp_proxy.hpp"
#include "routing/registry.hpp"
#include "routing/snapshot_build.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::engine;
using namespace edge::test;

namespace {

ring_features g_features;

// A worker hosting the TCP proxy alone: the host takes whatever components it is given.
using tcp_worker = worker<tcp_proxy>;

routing::backend loopback_backend(const std::string& id, std::uint16_t port) {
    routing::backend b;
    b.id = id;
    b.region = *geo::region_code::parse("eu");
    b.address = *parse_ip_literal("127.0.0.1", port);
    return b;
}

routing::snapshot_ptr snapshot_of(routing::backend_registry& reg,
                                  std::vector<routing::backend> backends) {
    routing::snapshot_input in;
    in.pop_region = *geo::region_code::parse("eu");
    in.backends = std::move(backends);
    std::vector<routing::rejected_row> rejected;
    return routing::build_snapshot(std::move(in), reg, rejected);
}

// One worker hosting the TCP proxy on 127.0.0.1:<ephemeral>, run on a thread of the test.
class proxy_under_test {
  public:
    proxy_under_test(routing::snapshot_ptr snap, config cfg = {})
        : cfg_(std::move(cfg)),
          listeners_(std::move(
              *listener_set::open({{*parse_socket_address("127.0.0.1:0"), false}}, 1, 64))) {
        tcp_proxy::setup s;
        s.listeners = listeners_.for_worker(0);
        s.listener_owner = &listeners_;
        s.conn_limit = 1024;
        s.snapshot = std::move(snap);
        worker_ = std::make_unique<tcp_worker>(0, -1, cfg_, g_features, std::move(s));
        thread_ = std::thread([this] { worker_->run(); });
        std::string error;
        if (!worker_->wait_ready(error)) throw std::runtime_error(error);
    }
    ~proxy_under_test() {
        if (thread_.joinable()) {
            (void)worker_->post(stop_message{});
            thread_.join();
        }
    }
    std::uint16_t port() const { return listeners_.specs()[0].address.port(); }
    tcp_worker& worker() { return *worker_; }
    /// Posts and waits until the worker has taken it in (its publication acknowledged).
    void publish(routing::snapshot_ptr snap) {
        std::uint64_t pub = ++publication_;
        REQUIRE(worker_->post(tables_message{pub, std::move(snap), nullptr, nullptr}));
        for (int i = 0; i < 200 && worker_->publication() < pub; ++i)
            std::this_thread::sleep_for(5ms);
        REQUIRE(worker_->publication() == pub);
    }
    /// Drains and waits for the worker's loop to end.
    bool drain_and_join(std::chrono::milliseconds limit) {
        REQUIRE(worker_->post(drain_message{}));
        auto done = std::async(std::launch::async, [this] { thread_.join(); });
        return done.wait_for(limit) == std::future_status::ready;
    }

  private:
    config cfg_;
    listener_set listeners_;
    std::unique_ptr<tcp_worker> worker_;
    std::thread thread_;
    std::uint64_t publication_ = 0;
};

config small_config() {
    config c;
    c.buffers = 64;
    c.connect_timeout = 2s;
    c.drain_timeout = 5s;
    return c;
}

}  // namespace

TEST_CASE("the component relays bytes both ways and passes a half-close on") {
    test_backend echo(test_backend::mode::echo);
    routing::backend_registry reg(16);
    proxy_under_test p(snapshot_of(reg, {loopback_backend("echo", echo.port())}), small_config());

    unique_fd fd = connect_tcp(p.port());
    REQUIRE(fd);
    const std::string payload = random_bytes(300000, 7);  // several bundles and buffers
    auto reader = std::async(std::launch::async, [&] { return read_to_eof(fd.get(), 20s); });
    REQUIRE(send_all(fd.get(), payload));
    ::shutdown(fd.get(), SHUT_WR);  // the backend sees EOF, echoes the rest, then closes
    auto got = reader.get();
    REQUIRE(got);
    CHECK(*got == payload);
    fd.reset();
    REQUIRE(p.drain_and_join(10s));
    const worker_metrics& m = p.worker().metrics();
    CHECK(m.connections_total.get() == 1);
    CHECK(m.bytes_client_to_backend.get() == payload.size());
    CHECK(m.bytes_backend_to_client.get() == payload.size());
    CHECK(m.closed[std::size_t(close_reason::done)].get() == 1);
    CHECK(m.buffers_held.get() == 0);
    CHECK(m.stale_cqes.get() == 0);
}

TEST_CASE("new tables take effect at the next connection, as the control thread hands them") {
    test_backend a(test_backend::mode::banner, "a");
    test_backend b(test_backend::mode::banner, "b");
    routing::backend_registry reg(16);
    proxy_under_test p(snapshot_of(reg, {loopback_backend("a", a.port())}), small_config());
    CHECK(first_line_through(p.port()) == "a");
    p.publish(snapshot_of(reg, {loopback_backend("b", b.port())}));
    CHECK(first_line_through(p.port()) == "b");
}

TEST_CASE("a drain takes the clients already queued, releases the listener and ends the loop") {
    test_backend echo(test_backend::mode::echo);
    routing::backend_registry reg(16);
    proxy_under_test p(snapshot_of(reg, {loopback_backend("echo", echo.port())}), small_config());
    std::uint16_t port = p.port();
    REQUIRE(p.drain_and_join(10s));
    // The listener set closed the released socket: nobody listens there any more.
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unique_fd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    CHECK(::connect(probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0);
}

TEST_CASE("a backend that resets mid-reply resets the client too (no clean EOF)") {
    // A backend that sends part of a reply and then dies with a reset: the client must not read
    // an orderly end of stream, which would make the truncated reply look complete.
    std::uint16_t port = 0;
    unique_fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listener.get(), 8) == 0);
    socklen_t len = sizeof a;
    getsockname(listener.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    std::thread backend([&] {
        unique_fd c(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        char req[16];
        (void)!::recv(c.get(), req, sizeof req, 0);
        std::string part(10000, 'r');
        send_all(c.get(), part);
        std::this_thread::sleep_for(100ms);  // the part reaches the client first
        linger l{1, 0};
        setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    });
    routing::backend_registry reg(16);
    proxy_under_test p(snapshot_of(reg, {loopback_backend("dies", port)}), small_config());
    unique_fd fd = connect_tcp(p.port());
    REQUIRE(send_all(fd.get(), std::string("GET\n")));
    // Blocking reads (bounded), so that the loop below sees EOF or the error itself.
    fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    timeval tv{10, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::size_t got = 0;
    int err = 0;
    for (;;) {
        char buf[4096];
        ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
            continue;
        }
        err = n == 0 ? 0 : errno;
        break;
    }
    backend.join();
    CHECK(err == ECONNRESET);
    CHECK(got <= 10000);
}

TEST_CASE("a tiny buffer pool still moves many bulk streams (pressure relief, no stall)") {
    test_backend echo(test_backend::mode::echo);
    routing::backend_registry reg(16);
    config c = small_config();
    c.buffers = 16;  // 16 × 16 KiB for 12 streams of 1 MiB each way
    proxy_under_test p(snapshot_of(reg, {loopback_backend("echo", echo.port())}), c);
    std::vector<std::future<bool>> streams;
    for (int i = 0; i < 12; ++i)
        streams.push_back(std::async(std::launch::async, [&, i] {
            unique_fd fd = connect_tcp(p.port());
            if (!fd) return false;
            std::string payload = random_bytes(1 << 20, 100 + i);
            auto reader =
                std::async(std::launch::async, [&] { return read_to_eof(fd.get(), 60s); });
            bool sent = send_all(fd.get(), payload, 60s);
            ::shutdown(fd.get(), SHUT_WR);
            auto got = reader.get();
            return sent && got && *got == payload;
        }));
    int ok = 0;
    for (auto& s : streams)
        ok += s.get();
    CHECK(ok == 12);
    REQUIRE(p.drain_and_join(10s));
    CHECK(p.worker().metrics().buffers_held.get() == 0);
}

int main(int argc, char** argv) {
    auto f = probe_ring_features();
    if (!f) {
        std::printf("SKIP: io_uring unavailable: %s\n", probe_message(f.error()));
        return 77;
    }
    g_features = *f;
    return Catch::Session().run(argc, argv);
}
