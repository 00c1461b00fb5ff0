#pragma once
// When the TCP component accepts clients: its listeners, its connection limit, descriptor
// exhaustion and the start of a drain. The component tells the gate how many connections it holds
// (one call, whenever the count changes) and when a descriptor was freed; the gate decides which
// accepts are in the kernel.
//
// Each listener is accepted from by one multishot accept while the worker has room for more
// clients than a listen backlog holds: one multishot burst takes at most the backlog, so it
// cannot pass the limit. Closer to the limit the gate switches to a few single-shot accepts, each
// taking exactly one client, and at the limit it takes none: clients then wait in the kernel's
// backlog (not reset) until a connection ends. Every proxied connection needs a second
// descriptor for its backend; accepting clients we could not connect would only reject them.

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/host/listener_set.hpp"
#include "engine/host/worker_core.hpp"
#include "engine/uring/ring.hpp"

namespace edge::engine {

class accept_gate {
  public:
    /// `owner` is told when a draining worker is done with a listening socket (may be null).
    accept_gate(worker_core& core, std::uint8_t family, std::vector<listener_set::socket> sockets,
                listener_set* owner, std::uint32_t conn_limit) noexcept;

    /// A client the kernel handed over.
    struct accepted {
        int fd;
        bool proxy_protocol;
        std::uint16_t spec;  // which listen address (listener_set::specs() index)
    };

    /// Arms the first accepts. Worker thread, at start.
    void start() noexcept;
    /// The component's connection count changed (`used` connections now).
    void on_count(std::uint32_t used) noexcept;
    /// A descriptor is about to be freed: if accepts wait for one, try again now.
    void on_descriptor_freed() noexcept;

    /// An accept completion (op accept, slot = listener, dir = single-shot).
    std::optional<accepted> on_accept(std::uint32_t listener, std::uint32_t gen, bool single,
                                      const completion& c) noexcept;
    /// The retry timer after EMFILE/ENFILE fired.
    void on_retry() noexcept;

    /// Stops accepting: cancels the accepts; each listener is released once its last accept
    /// has completed and the clients queued on it have been taken (passed to `take`).
    template <class Take>
    void start_drain(Take&& take);
    /// Every listener has been released.
    bool closed() const noexcept;
    /// The loop must tick (the EMFILE retry runs on a ring timeout, the rest on completions).
    bool paused() const noexcept { return paused_; }
    std::uint32_t limit() const noexcept { return limit_; }

    /// While draining: after on_accept, release listener `i` if nothing of it is in the kernel.
    template <class Take>
    void finish_listener(std::uint32_t i, Take&& take);

  private:
    struct listener {
        int fd = -1;  // -1 once released
        bool proxy_protocol = false;
        std::uint16_t spec = 0;
        bool multishot = false;   // a multishot accept is in the kernel
        std::uint8_t single = 0;  // single-shot accepts in the kernel
        std::uint32_t gen = 1;    // accept tags carry it; bumped on release (stale check)
    };

    bool accepting() const noexcept { return !draining_ && !paused_ && !full_; }
    std::uint32_t headroom() const noexcept { return used_ >= limit_ ? 0 : limit_ - used_; }
    std::uint64_t tag(std::uint32_t i, bool single) const noexcept;
    std::uint64_t cancel_tag() const noexcept;
    void arm(std::uint32_t i) noexcept;
    void cancel(std::uint32_t i) noexcept;
    void resume() noexcept;
    int take_one(std::uint32_t i) noexcept;  // accept4 on a draining listener, -1 when empty
    void release(std::uint32_t i) noexcept;

    worker_core& core_;
    const std::uint8_t family_;
    std::vector<listener> listeners_;
    listener_set* owner_;
    const std::uint32_t limit_;
    std::uint32_t used_ = 0;
    __kernel_timespec retry_ts_{};
    bool draining_ = false;
    bool paused_ = false;  // EMFILE/ENFILE: accepts wait for a descriptor to free up
    bool retry_armed_ = false;
    bool error_logged_ = false;
    bool full_ = false;  // at the limit: new clients wait in the listen backlog
    bool full_logged_ = false;
};

// ---- inline definitions ----

template <class Take>
void accept_gate::start_drain(Take&& take) {
    if (draining_) return;
    draining_ = true;
    // Cancel the accepts first: a pending accept keeps a closed listener alive. Each listener is
    // released when its last accept's final CQE has arrived, after the clients already queued on
    // it have been taken.
    for (std::uint32_t i = 0; i < listeners_.size(); ++i) {
        if (listeners_[i].multishot || listeners_[i].single > 0)
            cancel(i);
        else
            finish_listener(i, take);
    }
}

template <class Take>
void accept_gate::finish_listener(std::uint32_t i, Take&& take) {
    listener& l = listeners_[i];
    if (l.fd < 0 || l.multishot || l.single > 0) return;
    // Clients that completed the handshake are in the accept queue; a close would reset them.
    // Take as many as the limit allows (the rest are reset unless the socket is handed over, or
    // net.ipv4.tcp_migrate_req=1 moves them to another listener on the port).
    while (headroom() > 0) {
        int fd = take_one(i);
        if (fd < 0) break;
        take(accepted{fd, l.proxy_protocol, l.spec});
    }
    release(i);
}

}  // namespace edge::engine
