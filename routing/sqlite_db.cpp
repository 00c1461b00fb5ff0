#include "routing/sqlite_db.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "routing/open_diagnosis.hpp"

namespace edge::routing {

std::string_view failure_name(load_failure f) noexcept {
    switch (f) {
        case load_failure::missing:
            return "missing";
        case load_failure::locked:
            return "locked";
        case load_failure::corrupt:
            return "corrupt";
        case load_failure::wrong_schema:
            return "wrong schema";
        case load_failure::io:
            return "i/o error";
    }
    return "unknown";
}

load_failure classify_sqlite(int rc) noexcept {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return load_failure::locked;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return load_failure::corrupt;
        case SQLITE_ERROR:  // "no such table/column" and other statement errors
        case SQLITE_SCHEMA:
            return load_failure::wrong_schema;
        default:
            return load_failure::io;
    }
}

// ---- sqlite_stmt ----

sqlite_stmt& sqlite_stmt::operator=(sqlite_stmt&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(s_);
        s_ = o.s_;
        o.s_ = nullptr;
    }
    return *this;
}

sqlite_stmt::~sqlite_stmt() {
    sqlite3_finalize(s_);
}

std::string sqlite_stmt::text(int i) const {
    const auto* p = sqlite3_column_text(s_, i);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(s_, i)));
}

db_value sqlite_stmt::value(int i) const {
    switch (sqlite3_column_type(s_, i)) {
        case SQLITE_INTEGER:
            return db_value::of(static_cast<std::int64_t>(sqlite3_column_int64(s_, i)));
        case SQLITE_FLOAT:
            return db_value::of_real(sqlite3_column_double(s_, i));
        case SQLITE_TEXT:
            return db_value::of(text(i));
        case SQLITE_BLOB: {
            db_value v;
            v.t = db_value::type::blob;
            v.s.assign(static_cast<const char*>(sqlite3_column_blob(s_, i)),
                       static_cast<std::size_t>(sqlite3_column_bytes(s_, i)));
            return v;
        }
        default:
            return db_value::null();
    }
}

void sqlite_stmt::bind_text(int i, std::string_view v) noexcept {
    if (v.data() == nullptr) {
        sqlite3_bind_null(s_, i);
        return;
    }
    sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void sqlite_stmt::bind_value(int i, const db_value& v, bool numeric) {
    auto n = v.as_integer();
    if (v.is_null())
        bind_null(i);
    else if (v.t == db_value::type::integer || (numeric && n))
        bind_int(i, *n);
    else
        bind_text(i, v.as_text());
}

// ---- sqlite_db ----

result<sqlite_db, load_error> sqlite_db::open(const std::string& path, mode m,
                                              int busy_timeout_ms) {
    if (m != mode::create) {
        // SQLite would report a missing file as a generic CANTOPEN; say it plainly, and never
        // let an open create the file.
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            int e = errno;
            std::string why = explain_unreadable(path).value_or(std::strerror(e));
            return unexpected(load_error{e == ENOENT ? load_failure::missing : load_failure::io,
                                         fmt::format("{}: {}", path, why)});
        }
        if (S_ISDIR(st.st_mode))
            return unexpected(
                load_error{load_failure::io, fmt::format("{}: is a directory", path)});
        if (m == mode::read_only) {
            // SQLite's "unable to open database file" names no cause; find it first.
            if (auto why = explain_unreadable(path))
                return unexpected(load_error{load_failure::io, fmt::format("{}: {}", path, *why)});
        }
    }
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (m) {
        case mode::read_only:
            flags |= SQLITE_OPEN_READONLY;
            break;
        case mode::read_write:
            flags |= SQLITE_OPEN_READWRITE;
            break;
        case mode::create:
            flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
            break;
    }
    sqlite_db db;
    int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        load_failure kind = (rc & 0xff) == SQLITE_CANTOPEN ? load_failure::io : classify_sqlite(rc);
        std::string msg = db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc);
        if ((rc & 0xff) == SQLITE_CANTOPEN)
            if (auto why = explain_cantopen(path)) msg += fmt::format(" ({})", *why);
        return unexpected(load_error{kind, fmt::format("{}: cannot open: {}", path, msg)});
    }
    db.path_ = path;
    sqlite3_extended_result_codes(db.db_, 1);
    sqlite3_busy_timeout(db.db_, busy_timeout_ms);
    return db;
}

sqlite_db& sqlite_db::operator=(sqlite_db&& o) noexcept {
    if (this != &o) {
        sqlite3_close_v2(db_);
        db_ = o.db_;
        o.db_ = nullptr;
        path_ = std::move(o.path_);
    }
    return *this;
}

sqlite_db::~sqlite_db() {
    sqlite3_close_v2(db_);
}

result<sqlite_stmt, load_error> sqlite_db::prepare(std::string_view sql) const {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
    if (rc != SQLITE_OK) return unexpected(error(rc, "prepare"));
    return sqlite_stmt(s);
}

result<void, load_error> sqlite_db::exec(const char* sql) const {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return unexpected(error(rc, "exec"));
    return {};
}

load_error sqlite_db::error(int rc, std::string_view what) const {
    const char* msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    std::string detail = fmt::format("{}: {}", what, msg);
    // A WAL database can open and then fail its first read ("unable to open database file",
    // "attempt to write a readonly database") when the -shm file cannot be made: say why.
    if (((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_READONLY) && !path_.empty())
        if (auto why = explain_cantopen(path_)) detail += fmt::format(" ({})", *why);
    return load_error{classify_sqlite(rc), std::move(detail)};
}

}  // namespace edge::routing
