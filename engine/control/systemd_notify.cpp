#include "engine/control/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "base/unique_fd.hpp"

namespace edge::engine {

bool systemd_notify(std::string_view state) noexcept {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (path == nullptr || path[0] == '\0') return true;
    std::size_t len = std::strlen(path);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(a.sun_path)) return false;
    std::memcpy(a.sun_path, path, len);
    if (path[0] == '@') a.sun_path[0] = '\0';  // abstract: no terminating NUL counts
    socklen_t alen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    unique_fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    ssize_t n = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                         reinterpret_cast<sockaddr*>(&a), alen);
    return n == static_cast<ssize_t>(state.size());
}

bool systemd_notify_reloading() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    std::uint64_t usec = std::uint64_t(ts.tv_sec) * 1000000 + std::uint64_t(ts.tv_nsec) / 1000;
    char buf[64];
    auto r = fmt::format_to_n(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC={}", usec);
    return systemd_notify(std::string_view(buf, r.size));
}

}  // namespace edge::engine
