#include "base/control_protocol.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace edge::control_protocol {

result<void> send(int sock, std::span<const std::string> fields, std::span<const int> fds) {
    std::string body;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) body.push_back('\0');
        body += fields[i];
    }
    if (body.size() > max_message_bytes || fds.size() > max_fds_per_message)
        return unexpected(std::errc::message_size);
    iovec iov{body.data(), body.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
    if (!fds.empty()) {
        std::memset(control, 0, sizeof(control));
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        ssize_t n = ::sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) return {};
        if (errno != EINTR) return errno_error();
    }
}

result<message> receive(int sock, int timeout_ms) {
    pollfd p{sock, POLLIN, 0};
    int rc;
    do {
        rc = ::poll(&p, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return errno_error();
    if (rc == 0) return unexpected(std::errc::timed_out);
    std::string body(max_message_bytes, '\0');
    iovec iov{body.data(), body.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno_error();
    message out;
    // Descriptors first, so that every one received is owned (and closed) whatever follows.
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            out.fds.emplace_back(fd);
        }
    }
    if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) return unexpected(std::errc::message_size);
    if (n == 0 && out.fds.empty()) return unexpected(std::errc::connection_reset);
    body.resize(static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (;;) {
        auto end = body.find('\0', start);
        out.fields.push_back(body.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

result<unique_fd> connect(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.size() >= sizeof(a.sun_path)) return unexpected(std::errc::filename_too_long);
    std::memcpy(a.sun_path, path.data(), path.size());
    auto fd = unique_fd::from_syscall(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) return fd;
    if (::connect(fd->get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0) return errno_error();
    return fd;
}

std::vector<std::string> default_directories() {
    auto env = [](const char* name) -> std::string {
        const char* v = std::getenv(name);
        return v ? v : "";
    };
    std::vector<std::string> out;
    std::string runtime = env("RUNTIME_DIRECTORY");
    runtime = runtime.substr(0, runtime.find(':'));
    if (!runtime.empty()) out.push_back(runtime);
    out.push_back("/run/edgeproxy");
    if (!env("XDG_RUNTIME_DIR").empty()) out.push_back(env("XDG_RUNTIME_DIR") + "/edgeproxy");
    out.push_back("/tmp/edgeproxy-" + std::to_string(::getuid()));
    return out;
}

}  // namespace edge::control_protocol
