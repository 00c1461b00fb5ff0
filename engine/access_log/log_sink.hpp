#pragma once
// Where access log lines go (--access-log DEST): a file (opened for append, created 0640, and
// reopened on SIGUSR1 so that logrotate can move it away), stderr, or syslog — datagrams to
// /dev/log, which journald and rsyslog read ("syslog:PATH" names another socket). Writes happen
// in batches on the log thread; a destination that cannot take more (a full pipe, a busy
// syslog daemon) makes the log thread wait, never a worker. Log thread only, after open().

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

class log_sink {
  public:
    enum class kind : std::uint8_t { file, stderr_stream, syslog };

    /// Parses and opens DEST; the error says what failed and why. Start-up (main thread).
    static result<log_sink, std::string> open(std::string_view dest);

    log_sink(log_sink&&) noexcept = default;
    log_sink& operator=(log_sink&&) noexcept = default;

    struct outcome {
        std::size_t written = 0;  // lines the destination took
        std::size_t failed = 0;   // lines lost to an error (or to a stop while it was blocked)
    };
    /// Writes `lines` (`count` whole lines, each ending in '\n'). While the destination is
    /// full it waits, in slices of `wait_ms`, for as long as `keep_waiting()` says so.
    template <class KeepWaiting>
    outcome write(std::string_view lines, std::size_t count, KeepWaiting&& keep_waiting) {
        return write_impl(
            lines, count, [](void* f) { return (*static_cast<KeepWaiting*>(f))(); }, &keep_waiting);
    }
    /// Reopens a file destination (logrotate moved it) or reconnects to syslog; stderr: nothing.
    /// Failures are logged and leave the old destination in place.
    void reopen();

    kind type() const noexcept { return kind_; }
    const std::string& path() const noexcept { return path_; }

    static constexpr int wait_ms = 100;

  private:
    log_sink() = default;
    outcome write_impl(std::string_view lines, std::size_t count, bool (*keep_waiting)(void*),
                       void* ctx);
    outcome write_stream(std::string_view lines, std::size_t count, bool (*keep_waiting)(void*),
                         void* ctx);
    outcome write_syslog(std::string_view lines, bool (*keep_waiting)(void*), void* ctx);

    kind kind_ = kind::file;
    std::string path_;  // the file, or the syslog socket
    unique_fd fd_;
    std::string header_;  // syslog: "<PRI>" … rebuilt per batch with the time
};

/// Opens `path` for appending (created 0640); the errno on failure. Any thread.
result<unique_fd> open_append(const std::string& path) noexcept;

}  // namespace edge::engine
