#pragma once
// The tunnel's UDP sockets: one per worker on the listen port (SO_REUSEPORT, so the kernel spreads
// peers over the workers by their address), dual-stack, with UDP GRO on receive (one read may
// carry many datagrams of one sender, their size in a control message) and UDP GSO on send (one
// sendmsg carries a batch cut into datagrams of one size by the kernel).

#include <cstdint>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

struct udp_socket_options {
    std::uint16_t port = 0;  // 0: ephemeral (the first socket's port; pass it on to the others)
    bool gro = true;
};

/// A UDP socket on [::]:port (IPv4 peers appear as mapped addresses), non-blocking, with
/// SO_REUSEPORT and, when asked, UDP_GRO. Start-up (main thread).
result<unique_fd> open_udp_socket(const udp_socket_options& opts) noexcept;

/// The port a socket is bound to.
result<std::uint16_t> bound_port(int fd) noexcept;

}  // namespace edge::engine
