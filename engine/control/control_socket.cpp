#include "engine/control/control_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "base/control_protocol.hpp"

namespace edge::engine {

namespace {

// `dir` exists or was made (0700), and this process may create files in it.
bool usable_dir(const std::string& dir) {
    if (dir.empty()) return false;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
    struct stat st {};
    return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
           ::access(dir.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

std::string control_socket::default_path() {
    for (const std::string& dir : control_protocol::default_directories())
        if (usable_dir(dir)) return dir + "/" + control_protocol::socket_name;
    return std::string("edgeproxy-") + control_protocol::socket_name;  // the working directory
}

result<control_socket, std::string> control_socket::open(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.size() >= sizeof(a.sun_path))
        return unexpected(fmt::format("--control {}: path too long (at most {} bytes)", path,
                                      sizeof(a.sun_path) - 1));
    std::memcpy(a.sun_path, path.data(), path.size());
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return unexpected(fmt::format("--control {}: exists and is not a socket", path));
        // A live owner answers a connect; a file left by a process that died does not.
        if (control_protocol::connect(path))
            return unexpected(fmt::format(
                "control socket {} belongs to a running edgeproxy: take it over with "
                "--takeover {} (or `edgectl restart --control {}`), or give this instance a "
                "socket of its own with --control PATH (or --control off)",
                path, path, path));
        ::unlink(path.c_str());
    }
    auto fd = unique_fd::from_syscall(
        ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return unexpected(fmt::format("control socket: {}", error_text(fd.error())));
    // 0600 from the start: the socket file takes its mode from the umask at bind time. Start-up
    // runs on one thread, so the process-wide umask is briefly ours alone.
    mode_t old_mask = ::umask(0177);
    int rc = ::bind(fd->get(), reinterpret_cast<sockaddr*>(&a), sizeof(a));
    int err = errno;
    ::umask(old_mask);
    if (rc != 0)
        return unexpected(fmt::format("--control {}: {} (use --control PATH, or --control off)",
                                      path, std::strerror(err)));
    if (::listen(fd->get(), 16) != 0) {
        err = errno;
        ::unlink(path.c_str());
        return unexpected(fmt::format("--control {}: {}", path, std::strerror(err)));
    }
    control_socket s;
    s.fd_ = std::move(*fd);
    s.path_ = path;
    s.owns_path_ = true;
    return s;
}

control_socket control_socket::adopt(std::string path, unique_fd fd) {
    control_socket s;
    int flags = fcntl(fd.get(), F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
    s.fd_ = std::move(fd);
    s.path_ = std::move(path);
    s.owns_path_ = true;
    return s;
}

void control_socket::release_path() noexcept {
    if (owns_path_ && !path_.empty()) ::unlink(path_.c_str());
    owns_path_ = false;
}

control_socket::~control_socket() {
    release_path();
}

}  // namespace edge::engine
