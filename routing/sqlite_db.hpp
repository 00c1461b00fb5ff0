#pragma once
// Thin RAII over the SQLite C API for routing.db: a connection and a prepared statement, with
// SQLite result codes turned into load_error. Used by the loader and the watcher (read-only) and
// by edgectl (read-write). A connection belongs to the thread that opened it.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "routing/db_value.hpp"
#include "routing/load_error.hpp"

namespace edge::routing {

/// Maps a SQLite primary result code to the kind of load failure it means.
load_failure classify_sqlite(int rc) noexcept;

class sqlite_stmt {
  public:
    sqlite_stmt() noexcept = default;
    explicit sqlite_stmt(sqlite3_stmt* s) noexcept : s_(s) {}
    sqlite_stmt(sqlite_stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    sqlite_stmt& operator=(sqlite_stmt&& o) noexcept;
    sqlite_stmt(const sqlite_stmt&) = delete;
    sqlite_stmt& operator=(const sqlite_stmt&) = delete;
    ~sqlite_stmt();

    sqlite3_stmt* get() const noexcept { return s_; }
    /// sqlite3_step: SQLITE_ROW, SQLITE_DONE or an error code.
    int step() noexcept { return sqlite3_step(s_); }
    /// Column `i` of the current row as text ("" for NULL).
    std::string text(int i) const;
    bool is_null(int i) const noexcept { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
    std::int64_t integer(int i) const noexcept { return sqlite3_column_int64(s_, i); }
    /// Column `i` of the current row with its SQLite type kept.
    db_value value(int i) const;
    /// Binds parameter `i` (1-based); a null string_view data pointer binds NULL.
    void bind_text(int i, std::string_view v) noexcept;
    void bind_int(int i, std::int64_t v) noexcept { sqlite3_bind_int64(s_, i, v); }
    void bind_null(int i) noexcept { sqlite3_bind_null(s_, i); }
    /// Binds `v` as routing.db stores it: NULL, INTEGER for an integer (and, when `numeric`, for
    /// text holding one, as edgeProxy writes its numbers), TEXT otherwise.
    void bind_value(int i, const db_value& v, bool numeric);

  private:
    sqlite3_stmt* s_ = nullptr;
};

class sqlite_db {
  public:
    /// read_only never creates or writes the file; read_write needs it to exist; create makes it.
    enum class mode : std::uint8_t { read_only, read_write, create };

    /// Opens `path` with a busy timeout. A missing file is load_failure::missing (and for
    /// read_only/read_write it is not created). Any thread; the connection stays on that thread.
    static result<sqlite_db, load_error> open(const std::string& path, mode m, int busy_timeout_ms);

    sqlite_db() noexcept = default;
    sqlite_db(sqlite_db&& o) noexcept : db_(o.db_), path_(std::move(o.path_)) { o.db_ = nullptr; }
    sqlite_db& operator=(sqlite_db&& o) noexcept;
    sqlite_db(const sqlite_db&) = delete;
    sqlite_db& operator=(const sqlite_db&) = delete;
    ~sqlite_db();

    sqlite3* get() const noexcept { return db_; }
    explicit operator bool() const noexcept { return db_ != nullptr; }

    /// Compiles one statement.
    result<sqlite_stmt, load_error> prepare(std::string_view sql) const;
    /// Runs SQL without results (may hold several statements).
    result<void, load_error> exec(const char* sql) const;
    /// The load_error for result code `rc`, its detail prefixed by `what` and SQLite's message.
    load_error error(int rc, std::string_view what) const;

  private:
    sqlite3* db_ = nullptr;
    std::string path_;  // as opened (for error messages)
};

}  // namespace edge::routing
