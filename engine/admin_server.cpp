#include "engine/admin_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "base/log.hpp"
#include "engine/listener.hpp"

namespace edge::engine {

namespace {

constexpr int client_budget_ms = 1000;  // a slow scraper cannot hold the control thread longer

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) return false;
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, client_budget_ms) <= 0) return false;
            continue;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

result<admin_server> admin_server::open(const socket_address& addr) noexcept {
    auto fd = open_listener(addr, 64);
    if (!fd) return unexpected(fd.error());
    int flags = fcntl(fd->get(), F_GETFL);
    fcntl(fd->get(), F_SETFL, flags | O_NONBLOCK);
    auto bound = bound_address(fd->get());
    if (!bound) return unexpected(bound.error());
    admin_server s;
    s.fd_ = std::move(*fd);
    s.bound_ = *bound;
    return s;
}

void admin_server::serve_ready(const render_fn& render, const healthy_fn& healthy) noexcept {
    for (int i = 0; i < 16; ++i) {
        int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) return;
        unique_fd client(c);
        answer(client.get(), render, healthy);
    }
}

void admin_server::answer(int client, const render_fn& render, const healthy_fn& healthy) noexcept {
    // Read until the end of the request head, within the budget.
    char req[2048];
    std::size_t got = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(client_budget_ms);
    while (got < sizeof(req)) {
        ssize_t n = ::recv(client, req + got, sizeof(req) - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
            if (std::string_view(req, got).find("\r\n\r\n") != std::string_view::npos ||
                std::string_view(req, got).find("\n\n") != std::string_view::npos)
                break;
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        pollfd p{client, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
    }
    std::string_view head(req, got);
    auto sp1 = head.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : head.find(' ', sp1 + 1);
    std::string_view method = head.substr(0, sp1);
    std::string_view path =
        sp2 == std::string_view::npos ? std::string_view() : head.substr(sp1 + 1, sp2 - sp1 - 1);
    if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);

    int status = 200;
    const char* reason = "OK";
    const char* type = "text/plain; charset=utf-8";
    body_.clear();
    if (method != "GET" && method != "HEAD") {
        status = 405;
        reason = "Method Not Allowed";
        body_ = "only GET\n";
    } else if (path == "/metrics") {
        type = "text/plain; version=0.0.4; charset=utf-8";
        render(body_);
    } else if (path == "/healthz") {
        if (healthy())
            body_ = "ok\n";
        else {
            status = 503;
            reason = "Service Unavailable";
            body_ = "draining\n";
        }
    } else {
        status = 404;
        reason = "Not Found";
        body_ = "try /metrics or /healthz\n";
    }
    std::string head_out = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        status, reason, type, body_.size());
    if (!write_all(client, head_out)) return;
    if (method != "HEAD") write_all(client, body_);
}

}  // namespace edge::engine
