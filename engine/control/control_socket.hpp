#pragma once
// The control socket's file: a Unix SOCK_SEQPACKET listener at --control PATH (mode 0600) where
// `edgectl restart` and a new edgeproxy (--takeover PATH) reach the running one. This file owns
// the path: where it goes by default, replacing a stale socket file, refusing one that a live
// process answers on, and unlinking it at exit unless a successor took it over. What is said on
// it is engine/control/takeover_server.hpp.

#include <string>
#include <utility>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

class control_socket {
  public:
    /// The path without --control: control.sock in the first of
    /// control_protocol::default_directories() that exists or can be made (mode 0700 when made
    /// here) and is writable. Main thread, at start-up.
    static std::string default_path();

    /// Listens at `path` (non-blocking, mode 0600). A socket file nobody accepts on (left by a
    /// process that died) is replaced; one that a process answers on is an error naming it.
    /// Main thread, at start-up.
    static result<control_socket, std::string> open(const std::string& path);
    /// Takes over a listening socket received in a handover for the same path.
    static control_socket adopt(std::string path, unique_fd fd);

    control_socket(control_socket&& o) noexcept
        : fd_(std::move(o.fd_)),
          path_(std::move(o.path_)),
          owns_path_(std::exchange(o.owns_path_, false)) {}
    control_socket& operator=(control_socket&& o) noexcept {
        if (this != &o) {
            release_path();
            fd_ = std::move(o.fd_);
            path_ = std::move(o.path_);
            owns_path_ = std::exchange(o.owns_path_, false);
        }
        return *this;
    }
    /// Unlinks the path, unless it was handed over.
    ~control_socket();

    int fd() const noexcept { return fd_.get(); }
    const std::string& path() const noexcept { return path_; }
    /// A successor listens on the same socket now: stop owning the path. Control thread.
    void hand_over() noexcept { owns_path_ = false; }
    /// Closes this process's copy of the listener (the successor holds its own).
    void close() noexcept { fd_.reset(); }

  private:
    control_socket() = default;
    void release_path() noexcept;

    unique_fd fd_;
    std::string path_;
    bool owns_path_ = false;
};

}  // namespace edge::engine
