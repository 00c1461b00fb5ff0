#include "tests/support/sockets.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>

namespace edge::test {

namespace {

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

bool wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r > 0) return true;
        if (r == 0) return false;
        if (errno != EINTR) return false;
    }
}

sockaddr_in loopback(std::uint16_t port, const std::string& host = "127.0.0.1") {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    return a;
}

unique_fd listen_loopback(std::uint16_t& port, int backlog, bool ipv6 = false) {
    unique_fd fd(::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_storage ss{};
    socklen_t len;
    if (ipv6) {
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
        a6->sin6_family = AF_INET6;
        a6->sin6_addr = in6addr_loopback;
        len = sizeof(sockaddr_in6);
    } else {
        *reinterpret_cast<sockaddr_in*>(&ss) = loopback(port);
        len = sizeof(sockaddr_in);
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0 ||
        ::listen(fd.get(), backlog) < 0)
        throw std::runtime_error(std::string("test backend listen: ") + std::strerror(errno));
    len = sizeof(ss);
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    port = ipv6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    return fd;
}

}  // namespace

unique_fd connect_non_reader(std::uint16_t port) {
    unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int small = 4096;
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return {};
    fcntl(fd.get(), F_SETFL, O_NONBLOCK);
    return fd;
}

unique_fd connect_tcp(std::uint16_t port, const std::string& host, const std::string& source,
                      std::chrono::milliseconds timeout) {
    bool v6 = host.find(':') != std::string::npos;
    unique_fd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!source.empty()) {
        int one = 1;
        setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        sockaddr_in s = loopback(0, source);
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&s), sizeof(s)) < 0) return {};
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof(sockaddr_in);
    if (v6) {
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr);
        len = sizeof(sockaddr_in6);
    } else {
        *reinterpret_cast<sockaddr_in*>(&ss) = loopback(port, host);
    }
    int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
    if (rc < 0 && errno != EINPROGRESS) return {};
    if (rc < 0) {
        if (!wait_fd(fd.get(), POLLOUT, std::chrono::steady_clock::now() + timeout)) return {};
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return {};
    }
    int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

bool send_all(int fd, const void* data, std::size_t len, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    const char* p = static_cast<const char*>(data);
    while (len > 0) {
        ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
        if (!wait_fd(fd, POLLOUT, deadline)) return false;
    }
    return true;
}

bool send_all(int fd, const std::string& s, std::chrono::milliseconds timeout) {
    return send_all(fd, s.data(), s.size(), timeout);
}

std::optional<std::string> read_to_eof(int fd, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) return out;
        if (errno != EAGAIN && errno != EINTR) return std::nullopt;
        if (!wait_fd(fd, POLLIN, deadline)) return std::nullopt;
    }
}

std::optional<std::string> read_exact(int fd, std::size_t want, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string out;
    char buf[65536];
    while (out.size() < want) {
        ssize_t n = ::recv(fd, buf, std::min(sizeof(buf), want - out.size()), MSG_DONTWAIT);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) return std::nullopt;
        if (errno != EAGAIN && errno != EINTR) return std::nullopt;
        if (!wait_fd(fd, POLLIN, deadline)) return std::nullopt;
    }
    return out;
}

bool wait_closed(int fd, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0) return true;
        if (n < 0 && errno != EAGAIN && errno != EINTR) return true;  // reset counts as closed
        if (n > 0) continue;
        if (!wait_fd(fd, POLLIN, deadline)) return false;
    }
}

std::string random_bytes(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::string s(n, '\0');
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t v = rng();
        std::memcpy(&s[i], &v, 8);
    }
    for (; i < n; ++i)
        s[i] = static_cast<char>(rng());
    return s;
}

std::string first_line_through(std::uint16_t port, const std::string& source,
                               const std::string& first) {
    unique_fd fd = connect_tcp(port, "127.0.0.1", source);
    if (!fd || (!first.empty() && !send_all(fd.get(), first))) return "";
    ::shutdown(fd.get(), SHUT_WR);
    auto got = read_to_eof(fd.get(), 15s);
    if (!got || got->empty()) return "";
    return got->substr(0, got->find('\n'));
}

std::string http_get(std::uint16_t port, const std::string& path, int* status) {
    unique_fd fd = connect_tcp(port);
    if (!fd) return "";
    if (!send_all(fd.get(), "GET " + path + " HTTP/1.0\r\nHost: test\r\n\r\n")) return "";
    auto resp = read_to_eof(fd.get(), 5000ms);
    if (!resp) return "";
    if (status && resp->size() > 12) *status = std::stoi(resp->substr(9, 3));
    auto body = resp->find("\r\n\r\n");
    return body == std::string::npos ? "" : resp->substr(body + 4);
}

std::optional<double> metric_value(const std::string& body, const std::string& series) {
    std::size_t pos = 0;
    while ((pos = body.find(series + " ", pos)) != std::string::npos) {
        if (pos == 0 || body[pos - 1] == '\n') {
            auto end = body.find('\n', pos);
            return std::stod(body.substr(pos + series.size() + 1, end - pos - series.size() - 1));
        }
        pos += series.size();
    }
    return std::nullopt;
}

bool echoes_through(std::uint16_t port, const std::string& message) {
    unique_fd fd = connect_tcp(port);
    return fd && send_all(fd.get(), message) &&
           read_exact(fd.get(), message.size()) == std::optional<std::string>(message);
}

std::uint16_t refused_port() {
    std::uint16_t port = 0;
    unique_fd fd = listen_loopback(port, 1);  // closed at return: the port refuses from now on
    return port;
}

// ---- test_backend ----

test_backend::test_backend(mode m, std::string name, bool ipv6) : mode_(m), name_(std::move(name)) {
    listener_ = listen_loopback(port_, 4096, ipv6);
    acceptor_ = std::thread([this] { accept_loop(); });
}

test_backend::~test_backend() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::lock_guard lock(mu_);
    for (auto& t : conns_)
        if (t.joinable()) t.join();
}

void test_backend::stop_listening() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    listener_.reset();
    stop_ = false;
}

void test_backend::listen_again() {
    std::uint16_t port = port_;
    listener_ = listen_loopback(port, 4096);
    acceptor_ = std::thread([this] { accept_loop(); });
}

std::vector<std::string> test_backend::received() const {
    std::lock_guard lock(mu_);
    return received_;
}

void test_backend::accept_loop() {
    while (!stop_) {
        pollfd p{listener_.get(), POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        ++accepted_;
        std::size_t now = ++open_;
        for (std::size_t m = max_open_.load();
             now > m && !max_open_.compare_exchange_weak(m, now);) {}
        std::lock_guard lock(mu_);
        if (mode_ == mode::keep) {
            kept_.emplace_back(fd);
            continue;
        }
        conns_.emplace_back([this, fd] {
            serve(fd);
            --open_;
        });
    }
}

void test_backend::serve(int raw) {
    unique_fd fd(raw);
    auto deadline = [] { return std::chrono::steady_clock::now() + 60s; };
    char buf[65536];
    auto echo_until_eof = [&]() {
        for (;;) {
            ssize_t n = ::recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
            if (n > 0) {
                if (!send_all(fd.get(), buf, static_cast<std::size_t>(n), 60s)) return false;
                continue;
            }
            if (n == 0) return true;
            if (errno != EAGAIN && errno != EINTR) return false;
            if (stop_ && !wait_fd(fd.get(), POLLIN, std::chrono::steady_clock::now() + 100ms))
                return false;
            if (!wait_fd(fd.get(), POLLIN, deadline())) return false;
        }
    };
    switch (mode_) {
        case mode::banner:
            if (!send_all(fd.get(), name_ + "\n")) return;
            [[fallthrough]];
        case mode::echo:
            if (echo_until_eof()) {
                ::shutdown(fd.get(), SHUT_WR);
                wait_closed(fd.get(), 10s);
            }
            return;
        case mode::fin_first: {
            if (!send_all(fd.get(), name_ + "\n")) return;
            ::shutdown(fd.get(), SHUT_WR);
            auto got = read_to_eof(fd.get(), 60s);
            std::lock_guard lock(mu_);
            received_.push_back(got.value_or("<error>"));
            return;
        }
        case mode::reset: {
            (void)!::recv(fd.get(), buf, 1, 0);
            linger l{1, 0};
            setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
            return;  // close with linger 0: RST
        }
        case mode::hold:
            wait_closed(fd.get(), 120s);
            return;
        case mode::keep:
            return;  // kept by accept_loop, never served by a thread
    }
}

// ---- blackhole_backend ----

blackhole_backend::blackhole_backend() {
    listener_ = listen_loopback(port_, 0);
    // Fill the accept queue: once it is full, the kernel drops SYNs and connects hang.
    for (int i = 0; i < 8; ++i) {
        unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        sockaddr_in a = loopback(port_);
        ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a));
        bool done = wait_fd(fd.get(), POLLOUT, std::chrono::steady_clock::now() + 200ms);
        fillers_.push_back(std::move(fd));
        if (!done) break;  // this one hangs: the queue is full
    }
}

}  // namespace edge::test
