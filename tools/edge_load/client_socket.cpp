#include "tools/edge_load/client_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace edge::load {

int open_client_socket(const socket_address& target, const source_set* sources, std::uint64_t index,
                       bool nodelay) noexcept {
    const int fd = ::socket(target.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    const int one = 1;
    if (nodelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (sources && !sources->empty()) {
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        const socket_address src = sources->at(index);
        if (::bind(fd, src.data(), src.len) != 0) {
            const int err = errno;
            ::close(fd);
            return -err;
        }
    }
    return fd;
}

}  // namespace edge::load
