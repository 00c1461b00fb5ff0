// Access log destinations: a file, stderr, or a syslog socket (see log_sink.hpp).

#include "engine/access_log/log_sink.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.hpp"

namespace edge::engine {

namespace {

constexpr const char* default_syslog_socket = "/dev/log";
/// syslog facility local0 (HAProxy's usual), severity info: <16·8 + 6>.
constexpr int syslog_priority = 134;
constexpr unsigned syslog_batch = 64;

std::size_t count_lines(std::string_view s) noexcept {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

result<unique_fd> connect_unix_dgram(const std::string& path) noexcept {
    sockaddr_un sa{};
    if (path.size() >= sizeof(sa.sun_path)) return unexpected(std::errc::filename_too_long);
    auto fd =
        unique_fd::from_syscall(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return fd;
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.data(), path.size());
    if (::connect(fd->get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0)
        return errno_error();
    return fd;
}

void wait_writable(int fd) noexcept {
    pollfd p{fd, POLLOUT, 0};
    (void)::poll(&p, 1, log_sink::wait_ms);
}

}  // namespace

result<unique_fd> open_append(const std::string& path) noexcept {
    // O_NONBLOCK: a FIFO with nobody reading must make the log thread wait in poll (where it
    // notices a stop), not in write; regular files ignore it.
    return unique_fd::from_syscall(
        ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640));
}

result<log_sink, std::string> log_sink::open(std::string_view dest) {
    log_sink s;
    if (dest.empty()) return unexpected(std::string("--access-log: empty destination"));
    if (dest == "stderr") {
        s.kind_ = kind::stderr_stream;
        s.path_ = "stderr";
        // A descriptor of our own for fd 2 (blocking, like the process log's own writes).
        auto fd = unique_fd::from_syscall(::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3));
        if (!fd) return unexpected(fmt::format("--access-log stderr: {}", error_text(fd.error())));
        s.fd_ = std::move(*fd);
        return s;
    }
    if (dest == "syslog" || dest.starts_with("syslog:")) {
        s.kind_ = kind::syslog;
        s.path_ = dest == "syslog" ? default_syslog_socket : std::string(dest.substr(7));
        auto fd = connect_unix_dgram(s.path_);
        if (!fd)
            return unexpected(
                fmt::format("--access-log {}: cannot connect to the syslog socket {}: {}{}", dest,
                            s.path_, error_text(fd.error()),
                            fd.error() == std::errc::no_such_file_or_directory
                                ? " (is journald or rsyslog running?)"
                                : ""));
        s.fd_ = std::move(*fd);
        return s;
    }
    s.kind_ = kind::file;
    s.path_ = std::string(dest);
    auto fd = open_append(s.path_);
    if (!fd) {
        std::string why = error_text(fd.error());
        if (fd.error() == std::errc::no_such_device_or_address)
            why = "a FIFO nobody reads (open it for reading first)";
        return unexpected(fmt::format("--access-log {}: cannot open for appending: {}", dest, why));
    }
    struct stat st {};
    if (::fstat(fd->get(), &st) == 0 && S_ISDIR(st.st_mode))
        return unexpected(fmt::format("--access-log {}: is a directory", dest));
    s.fd_ = std::move(*fd);
    return s;
}

void log_sink::reopen() {
    switch (kind_) {
        case kind::stderr_stream:
            return;
        case kind::file: {
            auto fd = open_append(path_);
            if (!fd) {
                log::error("access log {}: cannot reopen: {}; still writing to the old file", path_,
                           error_text(fd.error()));
                return;
            }
            fd_ = std::move(*fd);
            log::info("access log {} reopened", path_);
            return;
        }
        case kind::syslog: {
            auto fd = connect_unix_dgram(path_);
            if (!fd) {
                log::error("access log: cannot reconnect to {}: {}", path_, error_text(fd.error()));
                return;
            }
            fd_ = std::move(*fd);
            return;
        }
    }
}

log_sink::outcome log_sink::write_impl(std::string_view lines, std::size_t count,
                                       bool (*keep_waiting)(void*), void* ctx) {
    if (lines.empty()) return {};
    return kind_ == kind::syslog ? write_syslog(lines, keep_waiting, ctx)
                                 : write_stream(lines, count, keep_waiting, ctx);
}

log_sink::outcome log_sink::write_stream(std::string_view lines, std::size_t count,
                                         bool (*keep_waiting)(void*), void* ctx) {
    std::size_t off = 0;
    while (off < lines.size()) {
        std::size_t chunk = lines.size() - off;
        if (kind_ == kind::stderr_stream && chunk > PIPE_BUF) {
            // stderr is shared with the process log: writes of at most PIPE_BUF bytes that end
            // at a line's end keep the two logs' lines whole on a pipe.
            std::size_t cut = lines.substr(off, PIPE_BUF).rfind('\n');
            chunk = cut != std::string_view::npos
                        ? cut + 1
                        : lines.find('\n', off) + 1 - off;  // one long line
        }
        ssize_t n = ::write(fd_.get(), lines.data() + off, chunk);
        if (n > 0) {
            off += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            if (!keep_waiting(ctx)) break;
            wait_writable(fd_.get());
            continue;
        }
        log::debug("access log {}: write failed: {}", path_, std::strerror(errno));
        break;
    }
    if (off == lines.size()) return {count, 0};
    std::size_t written = count_lines(lines.substr(0, off));
    return {written, count - written};
}

log_sink::outcome log_sink::write_syslog(std::string_view lines, bool (*keep_waiting)(void*),
                                         void* ctx) {
    // RFC 3164 as glibc's syslog() writes it: "<PRI>Mmm dd hh:mm:ss TAG[PID]: message".
    time_t now = ::time(nullptr);
    tm local{};
    localtime_r(&now, &local);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &local);
    header_ = fmt::format("<{}>{} edgeproxy[{}]: ", syslog_priority, stamp, ::getpid());

    outcome out;
    std::size_t pos = 0;
    bool reconnected = false;
    while (pos < lines.size()) {
        mmsghdr msgs[syslog_batch]{};
        iovec iov[syslog_batch][2];
        unsigned k = 0;
        std::size_t scan = pos;
        while (k < syslog_batch && scan < lines.size()) {
            std::size_t nl = lines.find('\n', scan);
            if (nl == std::string_view::npos) nl = lines.size();
            iov[k][0] = {header_.data(), header_.size()};
            iov[k][1] = {const_cast<char*>(lines.data() + scan), nl - scan};
            msgs[k].msg_hdr.msg_iov = iov[k];
            msgs[k].msg_hdr.msg_iovlen = 2;
            ++k;
            scan = nl + 1;
        }
        int sent = ::sendmmsg(fd_.get(), msgs, k, MSG_NOSIGNAL);
        if (sent > 0) {
            out.written += static_cast<std::size_t>(sent);
            for (int i = 0; i < sent; ++i)
                pos = static_cast<std::size_t>(static_cast<const char*>(iov[i][1].iov_base) -
                                               lines.data()) +
                      iov[i][1].iov_len + 1;
            continue;
        }
        int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN) {
            if (!keep_waiting(ctx)) break;
            wait_writable(fd_.get());
            continue;
        }
        if (!reconnected && (err == ECONNREFUSED || err == ENOTCONN || err == ENOENT)) {
            // The daemon restarted: its socket is a new one.
            reconnected = true;
            reopen();
            continue;
        }
        // This line cannot be sent (EMSGSIZE…) or the socket is gone: lose one line and go on.
        log::debug("access log {}: send failed: {}", path_, std::strerror(err));
        ++out.failed;
        pos =
            static_cast<std::size_t>(static_cast<const char*>(iov[0][1].iov_base) - lines.data()) +
            iov[0][1].iov_len + 1;
        if (err != EMSGSIZE && reconnected) break;
    }
    if (pos < lines.size()) out.failed += count_lines(lines.substr(pos));
    return out;
}

}  // namespace edge::engine
