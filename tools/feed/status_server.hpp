#pragma once
// The sync process's status endpoint (--status ADDR): GET /healthz and GET /metrics from
// sync_status, on a thread of its own, one client at a time with a 1 s deadline each, so that a
// silent client delays other status readers by at most that and never the sync itself.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "base/unique_fd.hpp"
#include "tools/feed/sync_status.hpp"

namespace edge::feed {

class status_server {
  public:
    /// Listens on `address` ("127.0.0.1:9191"; port 0 picks one); throws std::runtime_error when
    /// it cannot. Start-up.
    status_server(const std::string& address, const sync_status& status);
    /// Stops the thread (within 200 ms) and closes the socket.
    ~status_server();
    status_server(const status_server&) = delete;
    status_server& operator=(const status_server&) = delete;

    /// The port listened on.
    std::uint16_t port() const noexcept { return port_; }

  private:
    void serve();

    const sync_status& status_;
    unique_fd listener_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace edge::feed
