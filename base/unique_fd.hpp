#pragma once
// unique_fd: sole owner of a kernel file descriptor. Move-only, -1 when empty; the descriptor is
// closed exactly once, by the destructor or by close(), whose error the caller may inspect.
// (A registered io_uring file is a table slot, not an fd, and would get a type of its own.)

#include <unistd.h>

#include <utility>

#include "base/result.hpp"

namespace edge {

class unique_fd {
  public:
    constexpr unique_fd() noexcept = default;
    constexpr explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    ~unique_fd() { reset(); }

    /// Wraps the return value of a libc call that yields an fd or -1 with errno set.
    static result<unique_fd> from_syscall(int rc) {
        if (rc < 0) return errno_error();
        return unique_fd(rc);
    }

    constexpr int get() const noexcept { return fd_; }
    constexpr bool valid() const noexcept { return fd_ >= 0; }
    constexpr explicit operator bool() const noexcept { return valid(); }

    /// Gives up ownership without closing.
    [[nodiscard]] int release() && noexcept { return std::exchange(fd_, -1); }

    /// Closes now and reports close(2)'s error (EINTR counts as closed on Linux).
    result<void> close() noexcept {
        int fd = std::exchange(fd_, -1);
        if (fd >= 0 && ::close(fd) < 0 && errno != EINTR) return errno_error();
        return {};
    }

    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_ = -1;
};

}  // namespace edge
