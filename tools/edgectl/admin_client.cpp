// A GET to the proxy's admin endpoint (see admin_client.hpp).

#include "tools/edgectl/admin_client.hpp"

#include <cstdlib>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "base/socket_address.hpp"
#include "base/unique_fd.hpp"

namespace edge::edgectl {

namespace {

using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

/// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, clock::time_point deadline) {
    pollfd p{fd, events, 0};
    for (;;) {
        int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0) return true;
        if (n == 0) return false;
        if (errno != EINTR) return false;
    }
}

}  // namespace

http_answer admin_get(const std::string& address, const std::string& path, const std::string& token,
                      std::chrono::milliseconds timeout) {
    auto addr = parse_socket_address(address);
    if (!addr)
        throw std::runtime_error(fmt::format(
            "--admin: '{}' is not an address (want IP:PORT, e.g. 127.0.0.1:9090)", address));
    const auto deadline = clock::now() + timeout;
    auto fd = unique_fd::from_syscall(
        ::socket(addr->family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) throw std::runtime_error(fmt::format("socket: {}", error_text(fd.error())));
    if (::connect(fd->get(), addr->data(), addr->len) < 0 && errno != EINPROGRESS)
        throw std::runtime_error(fmt::format("cannot connect to the admin endpoint {}: {}", address,
                                             std::strerror(errno)));
    if (!wait_for(fd->get(), POLLOUT, deadline))
        throw std::runtime_error(
            fmt::format("{}: no connection within {} ms", address, timeout.count()));
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd->get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0)
        throw std::runtime_error(fmt::format(
            "cannot connect to the admin endpoint {}: {} (is edgeproxy running with --metrics "
            "{}?)",
            address, std::strerror(err), address));

    std::string request = fmt::format("GET {} HTTP/1.0\r\nHost: {}\r\n", path, address);
    if (!token.empty()) request += fmt::format("Authorization: Bearer {}\r\n", token);
    request += "\r\n";
    for (std::size_t sent = 0; sent < request.size();) {
        ssize_t n = ::send(fd->get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_for(fd->get(), POLLOUT, deadline))
                throw std::runtime_error(fmt::format("{}: request not taken in time", address));
        } else {
            throw std::runtime_error(fmt::format("{}: send: {}", address, std::strerror(errno)));
        }
    }
    std::string response;
    char buf[16384];
    for (;;) {
        ssize_t n = ::recv(fd->get(), buf, sizeof(buf), 0);
        if (n > 0) {
            response.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
            if (!wait_for(fd->get(), POLLIN, deadline))
                throw std::runtime_error(
                    fmt::format("{}: no whole answer within {} ms", address, timeout.count()));
            continue;
        }
        throw std::runtime_error(fmt::format("{}: recv: {}", address, std::strerror(errno)));
    }
    auto head_end = response.find("\r\n\r\n");
    if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0 ||
        head_end == std::string::npos)
        throw std::runtime_error(fmt::format("{}: not an HTTP answer", address));
    http_answer a;
    a.status = std::atoi(response.c_str() + 9);
    a.body = response.substr(head_end + 4);
    return a;
}

std::string read_token(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw std::runtime_error(fmt::format("{}: {}", path, std::strerror(errno)));
    std::string line;
    std::getline(f, line);
    auto first = line.find_first_not_of(" \t\r");
    auto last = line.find_last_not_of(" \t\r");
    if (first == std::string::npos)
        throw std::runtime_error(fmt::format("{}: the first line is empty", path));
    return line.substr(first, last - first + 1);
}

std::string admin_fetch(const std::string* admin_flag, const std::string* token_file_flag,
                        const std::string& path, const std::string& command) {
    std::string address = "127.0.0.1:9090";
    if (const char* env = std::getenv("EDGECTL_ADMIN"); env != nullptr && *env) address = env;
    if (admin_flag != nullptr) address = *admin_flag;
    std::string token;
    if (token_file_flag != nullptr) token = read_token(*token_file_flag);
    http_answer r = admin_get(address, path, token);
    if (r.status == 401)
        throw std::runtime_error(
            fmt::format("{} wants a token (--admin-token-file): give edgectl {} --token-file PATH",
                        address, command));
    if (r.status != 200)
        throw std::runtime_error(fmt::format("{}: GET {} answered {}: {}", address, path, r.status,
                                             r.body.substr(0, 200)));
    return r.body;
}

}  // namespace edge::edgectl
