#pragma once
// The admin endpoint: Prometheus text at /metrics, liveness at /healthz. A deliberately small
// HTTP/1.0-style server on the control thread: one request per connection, bounded time per
// client, never on a worker's loop.

#include <functional>
#include <string>

#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

class admin_server {
  public:
    /// Renders the body of /metrics into its argument.
    using render_fn = std::function<void(std::string&)>;
    /// Whether /healthz answers 200 (serving) or 503 (draining).
    using healthy_fn = std::function<bool()>;

    /// Binds and listens (start-up; a bind error is a configuration error).
    static result<admin_server> open(const socket_address& addr) noexcept;

    admin_server(admin_server&&) noexcept = default;
    admin_server& operator=(admin_server&&) noexcept = default;

    int fd() const noexcept { return fd_.get(); }
    const socket_address& address() const noexcept { return bound_; }

    /// Accepts and answers the clients waiting now. Control thread, when fd() is readable.
    void serve_ready(const render_fn& render, const healthy_fn& healthy) noexcept;

  private:
    admin_server() = default;
    void answer(int client, const render_fn& render, const healthy_fn& healthy) noexcept;

    unique_fd fd_;
    socket_address bound_;
    std::string body_;  // reused between scrapes
};

}  // namespace edge::engine
