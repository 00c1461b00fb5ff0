#include "engine/netdev/udp_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#ifndef UDP_GRO
#define UDP_GRO 104  // Linux 5.0 uapi; older libc headers lack it
#endif

namespace edge::engine {

result<unique_fd> open_udp_socket(const udp_socket_options& opts) noexcept {
    auto fd = unique_fd::from_syscall(
        ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP));
    if (!fd) return fd;
    int one = 1, zero = 0;
    if (setsockopt(fd->get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        setsockopt(fd->get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0)
        return errno_error();
    // Bigger socket buffers absorb bursts of a fast peer between two loop iterations (best
    // effort: the kernel caps them at net.core.{r,w}mem_max).
    int bytes = 4 << 20;
    (void)setsockopt(fd->get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    (void)setsockopt(fd->get(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    if (opts.gro && setsockopt(fd->get(), IPPROTO_UDP, UDP_GRO, &one, sizeof one) < 0)
        return errno_error();
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons(opts.port);
    if (::bind(fd->get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return errno_error();
    return fd;
}

result<std::uint16_t> bound_port(int fd) noexcept {
    sockaddr_in6 a{};
    socklen_t len = sizeof a;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) < 0) return errno_error();
    return ntohs(a.sin6_port);
}

}  // namespace edge::engine
