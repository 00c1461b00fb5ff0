#pragma once
// The control thread: it owns everything that is not on a connection's path. It turns SIGTERM /
// SIGINT into a drain of every worker (a second signal stops them at once), serves the admin
// endpoint, and is the one producer of every worker's inbox. Routing reloads run here too
// (routing issue): the snapshot is built off the workers' loops and handed to each worker.

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "base/unique_fd.hpp"
#include "engine/admin_server.hpp"
#include "engine/config.hpp"
#include "engine/worker.hpp"
#include "routing/types.hpp"

namespace edge::engine {

class control {
  public:
    struct setup {
        const config* cfg = nullptr;
        std::vector<worker*> workers;
        std::optional<admin_server> admin;
        routing::snapshot_ptr snapshot;
    };

    /// Blocks SIGTERM/SIGINT/SIGHUP must already be blocked in every thread (main does it
    /// before starting any); the control thread reads them from a signalfd.
    explicit control(setup s);
    ~control();

    /// Thread body. Returns after stop().
    void run() noexcept;
    /// Makes run() return. Main thread, after the workers have finished.
    void stop() noexcept;
    /// True once a drain has begun. Any thread.
    bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }

    /// The signals the control thread handles, for main to block before starting threads.
    static void block_signals() noexcept;

  private:
    void on_signal() noexcept;
    void broadcast(worker_message::kind what) noexcept;
    void render_metrics(std::string& out) const;

    const config& cfg_;
    std::vector<worker*> workers_;
    std::optional<admin_server> admin_;
    routing::snapshot_ptr snap_;
    unique_fd signal_fd_;
    unique_fd stop_fd_;
    int signals_seen_ = 0;
    std::atomic<bool> draining_{false};
};

}  // namespace edge::engine
