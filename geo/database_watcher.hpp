#pragma once
// The control thread's handle on the GeoIP file: holds the current database and reloads it when
// the file at the path is replaced (atomic rename: a new inode) or rewritten (new size or mtime).
// A replacement that is missing, unreadable or corrupt keeps the last good database, and is
// reported once: the same broken file is not retried or re-reported until it changes again.
//
// The watcher only decides and opens; publishing current() to the workers (per-worker queues,
// acknowledgements) is the caller's job. Control thread only: not thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "geo/database.hpp"

namespace edge::geo {

enum class reload_outcome : std::uint8_t {
    unchanged,  // same file as the current database, or the same broken file as last time
    reloaded,   // a new database is current(): publish it
    failed,     // the file changed but does not open; the last good database stays current
    vanished,   // the file is gone; the last good database stays current
};

struct reload_status {
    reload_outcome outcome = reload_outcome::unchanged;
    std::optional<db_error> error;  // set for failed and vanished
};

/// Short name of an outcome for log lines ("reloaded", "failed"...); any thread.
const char* describe(reload_outcome o) noexcept;

class database_watcher {
  public:
    /// Watches `path`; nothing is opened until load() or poll(). Control thread.
    explicit database_watcher(std::string path, open_options opts = {});

    /// Opens the file now (start-up). On error there is no current database; the caller decides
    /// between a --check failure and running without geo. Control thread.
    result<void, db_error> load();

    /// Checks the file's identity (stat) and reopens it if it changed. Cheap when nothing
    /// changed: one stat(2). Control thread.
    reload_status poll();

    /// The database in force, or nullptr when none has ever loaded. Control thread (workers get
    /// it from the caller's publication, not from here).
    std::shared_ptr<const database> current() const noexcept { return current_; }
    /// The watched path. Control thread.
    const std::string& path() const noexcept { return path_; }
    /// Successful reloads since construction (not counting load()). Control thread.
    std::uint64_t reloads() const noexcept { return reloads_; }
    /// Failed loads and reloads, each distinct broken file counted once. Control thread.
    std::uint64_t failures() const noexcept { return failures_; }

  private:
    std::string path_;
    open_options opts_;
    std::shared_ptr<const database> current_;
    // The last state that failed (a file identity, or "gone"), so it is reported only once.
    std::optional<file_identity> failed_identity_;
    bool reported_vanished_ = false;
    std::uint64_t reloads_ = 0;
    std::uint64_t failures_ = 0;
};

}  // namespace edge::geo
