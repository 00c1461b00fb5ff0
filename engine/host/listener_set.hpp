#pragma once
// The proxy's listening sockets: for every listen address, one SO_REUSEPORT socket per worker, so
// the kernel spreads new connections over the workers and a connection's accept, relay and close
// stay on one core (a cross-core wake-up costs tens of microseconds here).
//
// The set owns the sockets; a worker accepts on its own ones without owning them. When a worker
// has finished with a socket (a drain took the clients already queued on it) it releases it, and
// the set closes it — unless the sockets were handed to a new process (listener handover), in
// which case the set keeps them for it: stopping to accept is the worker's business, closing
// is the owner's.

#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

/// One --listen / --listen-proxy address.
struct listen_spec {
    socket_address address;
    bool proxy_protocol = false;  // clients there start with a PROXY v1/v2 header
};

class listener_set {
  public:
    /// A worker's socket on one address (not owned).
    struct socket {
        int fd = -1;
        bool proxy_protocol = false;
        std::size_t spec = 0;  // index into specs()
    };

    /// Opens one socket per spec per worker. Port 0 binds an ephemeral port, shared by the other
    /// workers' sockets. The error names the address. Main thread, at start-up.
    static result<listener_set, std::string> open(std::vector<listen_spec> specs, unsigned workers,
                                                  unsigned backlog);

    listener_set(listener_set&&) noexcept;
    listener_set& operator=(listener_set&&) = delete;
    ~listener_set();

    /// The addresses with the ports actually bound. Any thread (immutable after open()).
    const std::vector<listen_spec>& specs() const noexcept { return specs_; }
    /// Worker `w`'s sockets. Main thread, before the workers start.
    std::vector<socket> for_worker(unsigned w) const;

    /// A worker is done accepting on `fd`: it is closed now unless the set keeps its sockets.
    /// Any thread (workers while draining).
    void release(int fd) noexcept;

  private:
    listener_set() = default;

    std::vector<listen_spec> specs_;
    unsigned workers_ = 0;
    // [spec * workers_ + w]; guarded by mu_ once the workers run. Sanctioned sharing: released
    // by workers only at the end of a drain (cold path), so a mutex is the simple and right tool.
    std::mutex mu_;
    std::vector<unique_fd> sockets_;
    bool keep_ = false;  // handed over: never close
};

/// Creates, binds and listens a TCP socket with SO_REUSEPORT and TCP_NODELAY (inherited by
/// accepted sockets); IPV6_V6ONLY for IPv6 so that [::]:P and 0.0.0.0:P can be listed together.
/// Any thread (also the admin endpoint).
result<unique_fd> open_listener(const socket_address& addr, unsigned backlog) noexcept;

/// The address a socket is bound to (resolves port 0).
result<socket_address> bound_address(int fd) noexcept;

}  // namespace edge::engine
