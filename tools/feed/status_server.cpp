#include "tools/feed/status_server.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "base/socket_address.hpp"

namespace edge::feed {

namespace {

// Reads up to the end of the request head within the deadline; "" on timeout or error.
std::string read_head(int fd, std::chrono::steady_clock::time_point deadline) {
    std::string head;
    char buf[1024];
    while (head.find("\r\n\r\n") == std::string::npos && head.find("\n\n") == std::string::npos &&
           head.size() < 8192) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return {};
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return head;
        head.append(buf, static_cast<std::size_t>(n));
    }
    return head;
}

}  // namespace

status_server::status_server(const std::string& address, const sync_status& status)
    : status_(status) {
    auto addr = parse_socket_address(address);
    if (!addr) throw std::runtime_error(fmt::format("--status '{}' is not ADDR:PORT", address));
    listener_ = unique_fd(::socket(addr->family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    int one = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (!listener_ || ::bind(listener_.get(), addr->data(), addr->len) != 0 ||
        ::listen(listener_.get(), 16) != 0)
        throw std::runtime_error(fmt::format("--status {}: {}", address, std::strerror(errno)));
    socket_address bound;
    bound.len = sizeof bound.addr;
    ::getsockname(listener_.get(), bound.data(), &bound.len);
    port_ = bound.port();
    thread_ = std::thread([this] { serve(); });
}

status_server::~status_server() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void status_server::serve() {
    while (!stop_) {
        pollfd p{listener_.get(), POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        unique_fd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client) continue;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        std::string head = read_head(client.get(), deadline);
        std::string path;
        if (head.rfind("GET ", 0) == 0) path = head.substr(4, head.find(' ', 4) - 4);
        int code = 404;
        std::string body = "not found: try /healthz or /metrics\n";
        const char* type = "text/plain";
        if (path == "/healthz") {
            std::tie(code, body) = status_.healthz();
        } else if (path == "/metrics") {
            code = 200;
            body = status_.metrics();
            type = "text/plain; version=0.0.4";
        }
        std::string reply = fmt::format(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: "
            "close\r\n\r\n{}",
            code,
            code == 200   ? "OK"
            : code == 503 ? "Service Unavailable"
                          : "Not Found",
            type, body.size(), body);
        // A client that does not read within the deadline loses the rest of its answer.
        std::size_t sent = 0;
        while (sent < reply.size() && std::chrono::steady_clock::now() < deadline) {
            pollfd w{client.get(), POLLOUT, 0};
            if (::poll(&w, 1, 100) <= 0) continue;
            ssize_t n =
                ::send(client.get(), reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;
            sent += static_cast<std::size_t>(n);
        }
    }
}

}  // namespace edge::feed
