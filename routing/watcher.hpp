#pragma once
// db_watcher: tells the control thread, once per reload interval, whether routing.db may have
// changed since the last load, without re-reading it. It catches edits by the sqlite3 CLI or
// edgectl (rollback journal or WAL), a WAL-mode writer that keeps the database open, an atomic
// rename over the file, and an in-place overwrite. It also remembers the last failure so that
// each distinct failure is logged once, and it retries by itself.
//
// Change detection: stat(2) of the database and of its -wal file (device, inode, size, mtime,
// ctime), plus `PRAGMA data_version` on a read-only connection the watcher keeps open, which
// changes whenever another connection commits (covering two commits within one mtime tick).
// A new inode means the file was replaced: the watcher reopens its connection.
//
// Use, on the control thread:
//     if (w.poll()) {
//         auto r = load_snapshot(opts, registry);
//         if (r) { publish(...); if (w.on_load_succeeded()) log("recovered"); }
//         else if (auto line = w.on_load_failed(r.error())) log(*line);
//     }

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "routing/load_error.hpp"
#include "routing/sqlite_db.hpp"

namespace edge::routing {

class db_watcher {
  public:
    /// Watches `db_path`; `busy_timeout_ms` bounds how long one poll may wait on a writer's lock.
    /// Opens nothing yet. Control thread.
    explicit db_watcher(std::string db_path, int busy_timeout_ms = 50);

    /// Samples the file's state; true when a load should be attempted now: the first time, after
    /// any change since the last attempt, or while the last failure was transient (locked, i/o).
    /// Call on_load_succeeded or on_load_failed after each load it asked for. Control thread.
    bool poll();

    /// The load after poll() succeeded. Returns true when this ends a run of failures (the
    /// caller may log the recovery). Control thread.
    bool on_load_succeeded();

    /// The load after poll() failed with `e`. Returns the line to log when this failure differs
    /// from the last one reported (kind or detail), nullopt when it repeats. Control thread.
    std::optional<std::string> on_load_failed(const load_error& e);

    const std::string& path() const noexcept { return path_; }

  private:
    struct file_state {
        bool exists = false;
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = 0;
        std::int64_t mtime_ns = 0;
        std::int64_t ctime_ns = 0;
        friend bool operator==(const file_state&, const file_state&) = default;
    };
    struct fingerprint {
        file_state db;
        file_state wal;
        std::int64_t data_version = -1;  // -1: could not be read
        friend bool operator==(const fingerprint&, const fingerprint&) = default;
    };

    static file_state stat_file(const std::string& path) noexcept;
    // data_version on the kept connection, reopening it when the file was replaced; -1 on error
    // (busy sets `busy`).
    std::int64_t read_data_version(const file_state& db, bool& busy);

    std::string path_;
    std::string wal_path_;
    int busy_timeout_ms_;
    sqlite_db conn_;
    file_state conn_file_;                  // the file conn_ was opened on
    std::optional<fingerprint> attempted_;  // state at the last load attempt
    fingerprint pending_;                   // state sampled by the last poll
    bool retry_ = false;
    std::optional<load_error> reported_;  // the failure last reported, until a success
};

}  // namespace edge::routing
