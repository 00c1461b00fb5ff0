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
//
// Listener handover (docs/ARCHITECTURE.md): a new process builds its set from the sockets the old
// one sent (inherited_listener), matched to its own --listen addresses, and opens only what is
// new. Sockets of one address are spread over however many workers the new process has (a
// worker may accept on several of them); every socket of the SO_REUSEPORT group stays served,
// since the kernel keeps hashing clients to each.

#include <atomic>
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

/// A listening socket received from the instance being taken over.
struct inherited_listener {
    socket_address configured;  // that instance's --listen address (its port may be 0)
    std::size_t spec = 0;       // that instance's index of the address (same address twice)
    socket_address bound;       // what the socket is bound to
    unique_fd fd;
};

class listener_set {
  public:
    /// A worker's socket on one address (not owned).
    struct socket {
        int fd = -1;
        bool proxy_protocol = false;
        std::size_t spec = 0;  // index into specs()
    };

    /// What a handover sends for one socket.
    struct handover_entry {
        socket_address configured;
        std::size_t spec = 0;
        socket_address bound;
        bool proxy_protocol = false;
        int fd = -1;
    };

    struct open_options {
        unsigned workers = 1;
        unsigned backlog = 4096;
        /// Sockets of the instance being taken over; those matching a spec are used, the rest
        /// closed.
        std::vector<inherited_listener> inherited;
        /// Start even when another process listens on an address (--share-listeners).
        bool share = false;
    };

    /// Opens (or adopts) the sockets of every spec, at least one per worker. Port 0 binds an
    /// ephemeral port, shared by the other workers' sockets. An address another process listens
    /// on already is an error (defect 4) unless adopted or `share`. The error names the address.
    /// Main thread, at start-up.
    static result<listener_set, std::string> open(std::vector<listen_spec> specs,
                                                  open_options opts);

    listener_set(listener_set&&) noexcept;
    listener_set& operator=(listener_set&&) = delete;
    ~listener_set();

    /// The addresses with the ports actually bound. Any thread (immutable after open()).
    const std::vector<listen_spec>& specs() const noexcept { return specs_; }
    /// Addresses that came with the handover (for the start-up log). Main thread.
    std::size_t adopted() const noexcept { return adopted_; }
    /// Worker `w`'s sockets. Main thread, before the workers start.
    std::vector<socket> for_worker(unsigned w) const;

    /// A worker is done accepting on `fd`: it is closed now unless the set keeps its sockets.
    /// Any thread (workers while draining).
    void release(int fd) noexcept;

    /// Every socket still open, for a handover. Control thread.
    std::vector<handover_entry> handover_view();
    /// The sockets now belong to a successor too: release() no longer closes them (they close
    /// with the process), and draining workers leave clients queued on them to the successor.
    /// Control thread.
    void keep_for_successor() noexcept { keep_.store(true, std::memory_order_release); }
    /// keep_for_successor() was called. Any thread.
    bool kept() const noexcept { return keep_.load(std::memory_order_acquire); }

  private:
    struct entry {
        std::size_t spec = 0;
        unsigned worker = 0;
        unique_fd fd;
    };

    listener_set() = default;
    result<void, std::string> add_spec(std::size_t s, std::vector<inherited_listener>& inherited,
                                       const open_options& opts);

    std::vector<listen_spec> specs_;
    std::vector<socket_address> configured_;  // as given (port 0 stays 0): handover matching
    unsigned workers_ = 0;
    std::size_t adopted_ = 0;
    // Guarded by mu_ once the workers run. Sanctioned sharing: released by workers only at the
    // end of a drain and read by the control thread for a handover (cold paths), so a mutex is
    // the simple and right tool.
    std::mutex mu_;
    std::vector<entry> sockets_;
    // Sanctioned sharing: set by the control thread once, read by draining workers.
    std::atomic<bool> keep_{false};
};

/// Creates, binds and listens a TCP socket with SO_REUSEPORT and TCP_NODELAY (inherited by
/// accepted sockets); IPV6_V6ONLY for IPv6 so that [::]:P and 0.0.0.0:P can be listed together.
/// Any thread (also the admin endpoint).
result<unique_fd> open_listener(const socket_address& addr, unsigned backlog) noexcept;

/// The address a socket is bound to (resolves port 0).
result<socket_address> bound_address(int fd) noexcept;

}  // namespace edge::engine
