// Regression (issue 11, defect 2): an abort on one side reaches the other side as an abort.
//
// The mechanism: when a backend reset or died mid-response, the proxy closed the client's socket
// normally, so the client read an orderly FIN after the partial reply. A protocol that ends a
// response by closing (HTTP/1.0, many RPC framings) then takes a truncated reply for a complete
// one. The same held the other way: a client that reset mid-upload looked to the backend like
// one that finished. Now the proxy sets SO_LINGER {on, 0} before closing the other side, so the
// kernel sends a RST there — and a clean FIN still passes on as a FIN.
//
// Also the fault case "a client vanishing with RST mid-transfer": no crash, the other connections
// unaffected, the abort counted, every buffer back in the pool.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <functional>
#include <future>
#include <thread>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

// How a read to the end of a stream ended.
enum class ending { fin, reset, timeout };

struct drained {
    std::string bytes;
    ending how = ending::timeout;
};

// Reads until EOF (fin), ECONNRESET (reset) or `timeout`.
drained read_to_end(int fd, std::chrono::milliseconds timeout = 10s) {
    drained d;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return d;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n > 0) {
            d.bytes.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
            d.how = ending::fin;
            return d;
        } else if (errno == ECONNRESET) {
            d.how = ending::reset;
            return d;
        } else if (errno != EINTR && errno != EAGAIN) {
            return d;
        }
    }
}

// Closes with a RST instead of a FIN.
void reset_close(unique_fd& fd) {
    linger l{1, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    fd.reset();
}

// A backend whose one connection runs `script` on a thread of the test.
class scripted_backend {
  public:
    explicit scripted_backend(std::function<void(unique_fd&)> script)
        : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(a);
        ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), len);
        ::listen(listener_.get(), 16);
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this, script = std::move(script)] {
            unique_fd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (c) script(c);
        });
    }
    ~scripted_backend() {
        ::shutdown(listener_.get(), SHUT_RDWR);
        thread_.join();
    }
    std::uint16_t port() const { return port_; }

  private:
    unique_fd listener_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

const std::string partial_reply(100000, 'r');
// No active health checks: the scripted backend serves one connection at a time, and a check's
// would take the script's turn.
const std::vector<std::string> no_checks{"--check-interval", "0"};

}  // namespace

TEST_CASE("a backend that resets mid-response: the client reads the bytes sent, then a reset") {
    temp_dir dir;
    scripted_backend backend([](unique_fd& c) {
        char req[16];
        (void)::recv(c.get(), req, sizeof(req), 0);
        send_all(c.get(), partial_reply);
        std::this_thread::sleep_for(100ms);  // the bytes reach the proxy before the RST
        reset_close(c);
    });
    write_routing_db(dir.file("routing.db"), {{"b", backend.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, no_checks});
    unique_fd client = connect_tcp(proxy.port());
    REQUIRE(send_all(client.get(), "GET"));
    drained d = read_to_end(client.get());
    // Before the fix: every byte, then a FIN — indistinguishable from a complete reply.
    CHECK(d.how == ending::reset);
    CHECK(d.bytes.size() <= partial_reply.size());
    CHECK(proxy.metric("edge_connections_closed_total{reason=\"backend_error\"}") == 1);
}

TEST_CASE("a backend that finishes with a FIN: the client reads everything, then a FIN") {
    temp_dir dir;
    scripted_backend backend([](unique_fd& c) {
        char req[16];
        (void)::recv(c.get(), req, sizeof(req), 0);
        send_all(c.get(), partial_reply);
        ::shutdown(c.get(), SHUT_WR);
        read_to_end(c.get());
    });
    write_routing_db(dir.file("routing.db"), {{"b", backend.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, no_checks});
    unique_fd client = connect_tcp(proxy.port());
    REQUIRE(send_all(client.get(), "GET"));
    drained d = read_to_end(client.get());
    CHECK(d.how == ending::fin);
    CHECK(d.bytes == partial_reply);
    ::shutdown(client.get(), SHUT_WR);
}

TEST_CASE("a client that resets mid-upload: the backend reads a reset, not a clean end") {
    temp_dir dir;
    std::promise<drained> seen;
    auto seen_future = seen.get_future();
    scripted_backend backend([&seen](unique_fd& c) { seen.set_value(read_to_end(c.get())); });
    write_routing_db(dir.file("routing.db"), {{"b", backend.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, no_checks});
    unique_fd client = connect_tcp(proxy.port());
    REQUIRE(send_all(client.get(), std::string(50000, 'u')));
    std::this_thread::sleep_for(100ms);
    reset_close(client);
    REQUIRE(seen_future.wait_for(10s) == std::future_status::ready);
    CHECK(seen_future.get().how == ending::reset);
    CHECK(proxy.metric("edge_connections_closed_total{reason=\"client_error\"}") == 1);
}

TEST_CASE("fault: clients vanishing with RST mid-transfer leave the others and the pool intact") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, no_checks});
    unique_fd steady = connect_tcp(proxy.port());
    REQUIRE(steady);
    const std::string chunk = random_bytes(256 * 1024, 7);
    for (int round = 0; round < 20; ++round) {
        // A client in the middle of a large transfer, reading nothing back, then gone with a RST.
        unique_fd v = connect_tcp(proxy.port());
        REQUIRE(v);
        (void)send_all(v.get(), chunk, 2s);
        reset_close(v);
        REQUIRE(send_all(steady.get(), "ping"));
        REQUIRE(read_exact(steady.get(), 4, 5s) == std::optional<std::string>("ping"));
    }
    CHECK(proxy.process().running());
    // Every aborted transfer was counted, and gave its buffers back.
    for (int i = 0; i < 100; ++i) {
        if (proxy.metric("edge_connections_current") == 1) break;
        std::this_thread::sleep_for(20ms);
    }
    // (A reset that arrives before the backend connect completes counts as client_gone.)
    CHECK(proxy.metric("edge_connections_closed_total{reason=\"client_error\"}").value_or(0) +
              proxy.metric("edge_connections_rejected_total{reason=\"client_gone\"}").value_or(0) ==
          20);
    CHECK(proxy.metric("edge_connections_current") == 1);
    CHECK(proxy.metric("edge_buffers_held{worker=\"0\"}") == 0);
}
