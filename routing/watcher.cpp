#include "routing/watcher.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

namespace edge::routing {

db_watcher::db_watcher(std::string db_path, int busy_timeout_ms)
    : path_(std::move(db_path)), wal_path_(path_ + "-wal"), busy_timeout_ms_(busy_timeout_ms) {}

db_watcher::file_state db_watcher::stat_file(const std::string& path) noexcept {
    struct stat st {};
    file_state f;
    if (::stat(path.c_str(), &st) != 0) return f;
    f.exists = true;
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    f.size = st.st_size;
    f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    f.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
    return f;
}

std::int64_t db_watcher::read_data_version(const file_state& db, bool& busy) {
    busy = false;
    if (conn_ && (conn_file_.dev != db.dev || conn_file_.ino != db.ino)) conn_ = sqlite_db();
    if (!conn_) {
        auto c = sqlite_db::open(path_, sqlite_db::mode::read_only, busy_timeout_ms_);
        if (!c) return -1;
        conn_ = std::move(*c);
        conn_file_ = db;
    }
    auto st = conn_.prepare("PRAGMA data_version");
    int rc = st ? st->step() : SQLITE_ERROR;
    if (rc == SQLITE_ROW) return st->integer(0);
    if (!st) rc = SQLITE_ERROR;
    busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    // A corrupt or half-written file: start from a fresh connection next time.
    if (!busy) conn_ = sqlite_db();
    return -1;
}

bool db_watcher::poll() {
    fingerprint fp;
    bool busy = false;
    if (file_state db = stat_file(path_); db.exists) {
        fp.data_version = read_data_version(db, busy);
    } else {
        conn_ = sqlite_db();
    }
    // Stat after the connection is open: opening one may create the -wal file of a WAL-mode
    // database, and that must not count as a change at the next poll.
    fp.db = stat_file(path_);
    fp.wal = stat_file(wal_path_);
    // Every SQLite connection opened by root chowns the -wal file to the database's owner,
    // which bumps its ctime without any change to the data: leave the -wal ctime out.
    fp.wal.ctime_ns = 0;
    pending_ = fp;
    // A writer holding the lock is about to change the file, or is stuck: either way let the
    // load try, so that a lock that lasts is reported (once) as locked.
    return busy || retry_ || !attempted_ || *attempted_ != fp;
}

bool db_watcher::on_load_succeeded() {
    attempted_ = pending_;
    retry_ = false;
    bool recovered = reported_.has_value();
    reported_.reset();
    return recovered;
}

std::optional<std::string> db_watcher::on_load_failed(const load_error& e) {
    attempted_ = pending_;
    // A lock or an i/o error may clear without the file changing; the others need an edit.
    retry_ = e.kind == load_failure::locked || e.kind == load_failure::io;
    if (reported_ && *reported_ == e) return std::nullopt;
    reported_ = e;
    return fmt::format("routing.db reload failed ({}): {}", failure_name(e.kind), e.detail);
}

}  // namespace edge::routing
