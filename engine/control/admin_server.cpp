#include "engine/control/admin_server.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/log.hpp"
#include "engine/host/listener_set.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine {

namespace {

constexpr std::uint64_t request_deadline_ms = 2000;  // the request head must arrive by then
constexpr std::uint64_t answer_deadline_ms = 10000;  // and the whole answer be taken by then
constexpr std::size_t max_request_bytes = 4096;

const char* reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 431:
            return "Request Header Fields Too Large";
        case 503:
            return "Service Unavailable";
        default:
            return "Error";
    }
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

admin_server::~admin_server() {
    if (reactor_ == nullptr) return;
    for (auto& [fd, c] : clients_) {
        reactor_->unwatch(fd);
        reactor_->cancel(c.deadline);
    }
    if (fd_) reactor_->unwatch(fd_.get());
}

result<void> admin_server::attach(reactor& r) {
    reactor_ = &r;
    return r.watch(fd_.get(), EPOLLIN, [this](std::uint32_t) { on_listener(); });
}

void admin_server::on_listener() noexcept {
    for (;;) {
        int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) return;  // EAGAIN: all taken; anything else: the next client may fare better
        if (clients_.size() >= max_clients) {
            ::close(c);
            continue;
        }
        client& cl = clients_[c];
        cl.fd.reset(c);
        cl.deadline =
            reactor_->at(monotonic_coarse_ms() + request_deadline_ms, [this, c] { expire(c); });
        if (!reactor_->watch(c, EPOLLIN | EPOLLRDHUP,
                             [this, c](std::uint32_t ev) { on_client(c, ev); })) {
            drop(c);
        }
    }
}

void admin_server::on_client(int fd, std::uint32_t events) noexcept {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    client& c = it->second;
    if (!c.answered) {
        char buf[2048];
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
            if (n > 0) {
                c.in.append(buf, static_cast<std::size_t>(n));
                if (c.in.size() > max_request_bytes) break;
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                drop(fd);
                return;
            }
            if (errno == EAGAIN) break;
        }
        bool whole =
            c.in.find("\r\n\r\n") != std::string::npos || c.in.find("\n\n") != std::string::npos;
        if (!whole && c.in.size() <= max_request_bytes) {
            if (events & (EPOLLHUP | EPOLLRDHUP)) drop(fd);
            return;
        }
        answer(c);
    }
    if (!flush(c)) drop(fd);
}

void admin_server::answer(client& c) noexcept {
    c.answered = true;
    admin_response res;
    std::string_view head(c.in);
    std::string_view method, target;
    if (c.in.size() > max_request_bytes) {
        res.status = 431;
        res.body = "request too large\n";
    } else {
        auto sp1 = head.find(' ');
        auto sp2 = sp1 == std::string_view::npos ? sp1 : head.find(' ', sp1 + 1);
        method = head.substr(0, sp1);
        if (sp2 != std::string_view::npos) target = head.substr(sp1 + 1, sp2 - sp1 - 1);
        std::string_view path = target, query;
        if (auto q = target.find('?'); q != std::string_view::npos) {
            path = target.substr(0, q);
            query = target.substr(q + 1);
        }
        if (sp2 == std::string_view::npos) {
            res.status = 400;
            res.body = "malformed request\n";
        } else if (!auth_.allows(head)) {
            // Browsers ask for Basic credentials themselves (the token as password); scripts
            // and Prometheus send the Bearer form.
            res.status = 401;
            res.body = "unauthorized: this admin endpoint wants Authorization: Bearer TOKEN\n";
            res.extra_headers =
                "WWW-Authenticate: Bearer realm=\"edgeproxy admin\"\r\n"
                "WWW-Authenticate: Basic realm=\"edgeproxy admin\", charset=\"UTF-8\"\r\n";
        } else if (method != "GET" && method != "HEAD") {
            res.status = 405;
            res.body = "only GET\n";
        } else if (auto r = routes_.find(path); r != routes_.end()) {
            r->second(admin_request{method, path, query}, res);
        } else {
            res.status = 404;
            std::string paths;
            for (const auto& [p, _] : routes_)
                paths += (paths.empty() ? "" : ", ") + p;
            res.body = fmt::format("try {}\n", paths);
        }
    }
    c.out = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: "
        "no-store\r\n{}Connection: close\r\n\r\n",
        res.status, reason_phrase(res.status), res.content_type, res.body.size(),
        res.extra_headers);
    if (method != "HEAD") c.out += res.body;
    c.in.clear();
    // The answer gets a deadline of its own: a client that does not read is dropped.
    reactor_->cancel(c.deadline);
    int fd = c.fd.get();
    c.deadline =
        reactor_->at(monotonic_coarse_ms() + answer_deadline_ms, [this, fd] { expire(fd); });
}

bool admin_server::flush(client& c) noexcept {
    while (c.sent < c.out.size()) {
        ssize_t n = ::send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            (void)reactor_->modify(c.fd.get(), EPOLLOUT);
            return true;
        }
        return false;
    }
    // Everything sent: half-close so the client sees the end, then let it go.
    ::shutdown(c.fd.get(), SHUT_WR);
    return false;
}

void admin_server::expire(int fd) noexcept {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    it->second.deadline = 0;  // this timer has fired: nothing to cancel
    drop(fd);
}

void admin_server::drop(int fd) noexcept {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    reactor_->unwatch(fd);
    if (it->second.deadline != 0) reactor_->cancel(it->second.deadline);
    clients_.erase(it);  // closes the socket
}

}  // namespace edge::engine
