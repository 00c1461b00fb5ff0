#pragma once
// Loopback sockets for tests: a client side (connect, send, read to EOF) and small backends that
// run in threads of the test process (echo, banner, half-close first, reset, blackhole), each on
// an ephemeral port so tests can run side by side.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.hpp"

namespace edge::test {

using namespace std::chrono_literals;

/// Connects to host:port (an IPv4 or IPv6 literal; optionally from `source`, an IPv4 literal),
/// blocking up to `timeout`.
unique_fd connect_tcp(std::uint16_t port, const std::string& host = "127.0.0.1",
                      const std::string& source = "", std::chrono::milliseconds timeout = 5000ms);
/// A client that sends and never reads (the starvation and eviction tests' attackers): a 4 KiB
/// receive buffer, so that the proxy's sends to it stall at once; connected to 127.0.0.1:port,
/// then non-blocking, so that a test never waits on it. Empty when the connect fails.
unique_fd connect_non_reader(std::uint16_t port);
/// Writes everything or fails (false) within `timeout`.
bool send_all(int fd, const void* data, std::size_t len,
              std::chrono::milliseconds timeout = 10000ms);
bool send_all(int fd, const std::string& s, std::chrono::milliseconds timeout = 10000ms);
/// Reads until EOF; nullopt on error or timeout.
std::optional<std::string> read_to_eof(int fd, std::chrono::milliseconds timeout = 10000ms);
/// Reads exactly n bytes; nullopt on EOF, error or timeout.
std::optional<std::string> read_exact(int fd, std::size_t n,
                                      std::chrono::milliseconds timeout = 10000ms);
/// True when the peer closed (EOF or reset) within `timeout`, discarding data.
bool wait_closed(int fd, std::chrono::milliseconds timeout = 5000ms);
/// n pseudo-random bytes from `seed`.
std::string random_bytes(std::size_t n, std::uint64_t seed);
/// Connects to 127.0.0.1:port, sends `message` and reads as many bytes back: true when they are
/// the same (one exchange through a proxy in front of an echo backend).
bool echoes_through(std::uint16_t port, const std::string& message);
/// A port on 127.0.0.1 with nothing listening (connects are refused).
std::uint16_t refused_port();
/// Connects to 127.0.0.1:port (from `source` if given), sends `first` (e.g. a PROXY header),
/// half-closes, and returns the first line the far end sent (a banner backend's name), or ""
/// when the connection was closed without one.
std::string first_line_through(std::uint16_t port, const std::string& source = "",
                               const std::string& first = "");

/// GET `path` from 127.0.0.1:port (HTTP/1.0); the body, or "" on failure; `status` gets the
/// HTTP status when given.
std::string http_get(std::uint16_t port, const std::string& path, int* status = nullptr);
/// The value of one series in a Prometheus text body, e.g. `edge_sync_revision` or
/// `edge_connections_rejected_total{reason="capacity"}`; nullopt if absent.
std::optional<double> metric_value(const std::string& body, const std::string& series);

/// A backend served by threads of the test process.
class test_backend {
  public:
    enum class mode {
        echo,       // echo until EOF, then FIN, then wait for the client's close
        banner,     // write "<name>\n", then echo as above
        fin_first,  // write "<name>\n", FIN at once, then read to EOF and record what came
        reset,      // read the first bytes, then reset (RST) the connection
        hold,       // accept, then read and discard until EOF
        keep,       // accept and keep the connection open, with no thread per connection (for
                    // thousands held at once); closed when the backend is destroyed
    };

    /// Listens on 127.0.0.1, or on ::1 with `ipv6`.
    explicit test_backend(mode m, std::string name = "backend", bool ipv6 = false);
    ~test_backend();
    test_backend(const test_backend&) = delete;
    test_backend& operator=(const test_backend&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    const std::string& name() const noexcept { return name_; }
    /// Connections accepted so far.
    std::size_t accepted() const noexcept { return accepted_.load(); }
    /// Connections open right now, and the most ever open at once.
    std::size_t open_now() const noexcept { return open_.load(); }
    std::size_t max_open() const noexcept { return max_open_.load(); }
    /// fin_first: what each connection received, in completion order.
    std::vector<std::string> received() const;
    /// Stops accepting and closes the listener (later connects are refused).
    void stop_listening();
    /// Listens again on the same port after stop_listening() (a restarted backend; IPv4).
    void listen_again();

  private:
    void accept_loop();
    void serve(int fd);

    mode mode_;
    std::string name_;
    unique_fd listener_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> accepted_{0};
    std::atomic<std::size_t> open_{0};
    std::atomic<std::size_t> max_open_{0};
    std::thread acceptor_;
    mutable std::mutex mu_;
    std::vector<std::thread> conns_;
    std::vector<unique_fd> kept_;  // mode::keep
    std::vector<std::string> received_;
};

/// A port whose connects hang: a listener with a full accept queue that never accepts, so the
/// kernel drops further SYNs. Connects to it time out.
class blackhole_backend {
  public:
    blackhole_backend();
    std::uint16_t port() const noexcept { return port_; }

  private:
    unique_fd listener_;
    std::vector<unique_fd> fillers_;
    std::uint16_t port_ = 0;
};

}  // namespace edge::test
