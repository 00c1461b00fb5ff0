#pragma once
// The admin endpoint: a small HTTP/1.0-style server (one request per connection) on the control
// thread's reactor. Every socket is non-blocking and every client has deadlines (the request head
// within 2 s, the whole answer within 10 s) and there is a cap on clients served at once, so a
// silent or slow client costs a slot for a bounded time and never delays a signal, a drain or a
// reload. Routes are registered by the owner (/metrics, /healthz, …). With a token
// (admin_auth), a request without it gets 401 before any route runs.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "base/unique_fd.hpp"
#include "engine/control/admin_auth.hpp"
#include "engine/control/reactor.hpp"

namespace edge::engine {

struct admin_request {
    std::string_view method;  // GET or HEAD (others are refused before a route runs)
    std::string_view path;
    std::string_view query;  // after '?', without it
};

struct admin_response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::string extra_headers;  // whole header lines, each ending in "\r\n"
};

class admin_server {
  public:
    using route = std::function<void(const admin_request&, admin_response&)>;

    /// Clients served at once; more are closed at once (they retry).
    static constexpr std::size_t max_clients = 32;

    /// Binds and listens (start-up; a bind error is a configuration error).
    static result<admin_server> open(const socket_address& addr) noexcept;

    admin_server(admin_server&&) noexcept = default;
    admin_server& operator=(admin_server&&) noexcept = default;
    ~admin_server();

    const socket_address& address() const noexcept { return bound_; }
    /// Requires the token `auth` holds on every request (401 otherwise). Before attach().
    void require(admin_auth auth) { auth_ = std::move(auth); }
    /// Adds a route for an exact path. Before attach().
    void add_route(std::string path, route r) { routes_[std::move(path)] = std::move(r); }
    /// Starts accepting on `r`. Control thread; the server must not move afterwards.
    result<void> attach(reactor& r);
    /// Clients connected now (tests, metrics).
    std::size_t clients() const noexcept { return clients_.size(); }

  private:
    struct client {
        unique_fd fd;
        std::string in;
        std::string out;
        std::size_t sent = 0;
        bool answered = false;
        reactor::timer_id deadline = 0;
    };

    admin_server() = default;
    void on_listener() noexcept;
    void on_client(int fd, std::uint32_t events) noexcept;
    void answer(client& c) noexcept;
    bool flush(client& c) noexcept;  // false when the client is done (finished or failed)
    void expire(int fd) noexcept;    // a client's deadline passed
    void drop(int fd) noexcept;

    unique_fd fd_;
    socket_address bound_;
    reactor* reactor_ = nullptr;
    std::map<std::string, route, std::less<>> routes_;
    admin_auth auth_;
    std::unordered_map<int, client> clients_;
};

}  // namespace edge::engine
