// write_routing_db_file: temp file → schema → rows that pass check_tables → sync_state → fsync
// → rename over the target → fsync the directory. The proxy never sees a partial table: SQLite
// readers open the path afresh (the watcher notices the new inode) and get the whole new file.

#include "routing/db_replace.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <span>

#include "base/unique_fd.hpp"
#include "routing/schema.hpp"
#include "routing/table_validation.hpp"

namespace edge::routing {

namespace {

write_error io_error(const std::string& what, int err) {
    return write_error{write_error::kind::db, fmt::format("{}: {}", what, std::strerror(err))};
}

// One prepared INSERT reused for every row of a table.
class inserter {
  public:
    inserter(const sqlite_db& db, const char* table, std::span<const char* const> columns)
        : db_(db), table_(table) {
        std::string cols, marks;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            cols += fmt::format("{}\"{}\"", i ? ", " : "", columns[i]);
            marks += fmt::format("{}?{}", i ? ", " : "", i + 1);
        }
        auto st =
            db.prepare(fmt::format("INSERT INTO \"{}\" ({}) VALUES ({})", table, cols, marks));
        if (st)
            st_ = std::move(*st);
        else
            error_ = st.error();
    }

    // Binds `values` (numeric ones as INTEGER when they hold an integer) and runs the insert.
    result<void, write_error> insert(std::initializer_list<const db_value*> values,
                                     std::initializer_list<bool> numeric) {
        if (error_) return unexpected(db_write_error(*error_));
        sqlite3_reset(st_.get());
        int i = 1;
        auto num = numeric.begin();
        for (const db_value* v : values)
            st_.bind_value(i++, *v, *num++);
        if (int rc = st_.step(); rc != SQLITE_DONE)
            return unexpected(db_write_error(db_.error(rc, fmt::format("writing {}", table_))));
        return {};
    }

  private:
    const sqlite_db& db_;
    const char* table_;
    sqlite_stmt st_;
    std::optional<load_error> error_;
};

result<void, write_error> fill(const sqlite_db& db, const table_set& t, const checked_tables& ok) {
    static constexpr const char* backend_cols[] = {"id",         "app",        "region",  "country",
                                                   "wg_ip",      "port",       "healthy", "weight",
                                                   "soft_limit", "hard_limit", "deleted"};
    inserter backends(db, "backends", backend_cols);
    for (std::size_t i : ok.backend_rows) {
        const raw_row& r = t.backends[i];
        if (auto w = backends.insert(
                {&r.id, &r.app, &r.region, &r.country, &r.wg_ip, &r.port, &r.healthy, &r.weight,
                 &r.soft_limit, &r.hard_limit, &r.deleted},
                {false, false, false, false, false, true, true, true, true, true, true});
            !w)
            return w;
    }
    static constexpr const char* cr_cols[] = {"country", "region"};
    inserter country_regions(db, "country_regions", cr_cols);
    for (std::size_t n = 0; n < ok.country_region_rows.size(); ++n) {
        // Stored as the loader reads them back: upper-case country, lower-case region.
        db_value c = db_value::of(ok.country_regions[n].first.str());
        db_value r = db_value::of(ok.country_regions[n].second.str());
        if (auto w = country_regions.insert({&c, &r}, {false, false}); !w) return w;
    }
    static constexpr const char* id_col[] = {"id"};
    inserter draining(db, "draining", id_col);
    for (std::size_t i : ok.draining_rows) {
        db_value id = db_value::of(t.draining[i]);
        if (auto w = draining.insert({&id}, {false}); !w) return w;
    }
    static constexpr const char* sp_cols[] = {"id", "version"};
    inserter send_proxy(db, "send_proxy", sp_cols);
    for (std::size_t i : ok.send_proxy_rows) {
        const raw_send_proxy& r = t.send_proxy[i];
        if (auto w = send_proxy.insert({&r.id, &r.version}, {false, true}); !w) return w;
    }
    inserter peers(db, "wg_peers", wg_peer_columns);
    for (std::size_t i : ok.wg_peer_rows) {
        const raw_wg_peer& r = t.wg_peers[i];
        if (auto w = peers.insert({&r.public_key, &r.preshared_key, &r.endpoint, &r.allowed_ips,
                                   &r.persistent_keepalive},
                                  {false, false, false, false, true});
            !w)
            return w;
    }
    inserter checks(db, "health_checks", health_check_columns);
    for (std::size_t i : ok.health_check_rows) {
        const raw_health_check& r = t.health_checks[i];
        if (auto w = checks.insert(
                {&r.id, &r.kind, &r.send, &r.expect, &r.http_path, &r.http_status, &r.interval_ms,
                 &r.timeout_ms, &r.rise, &r.fall, &r.jitter_ms},
                {false, false, false, false, false, false, true, true, true, true, true});
            !w)
            return w;
    }
    static constexpr const char* state_cols[] = {"key", "value"};
    inserter state(db, "sync_state", state_cols);
    for (const auto& [key, value] : t.sync_state) {
        db_value k = db_value::of(key), v = db_value::of(value);
        if (auto w = state.insert({&k, &v}, {false, false}); !w) return w;
    }
    return {};
}

// The new file's content, written and closed (SQLite's own durability is off while building:
// the file is fsynced once at the end, before it can be seen).
result<void, write_error> build(const std::string& tmp, const table_set& t,
                                const checked_tables& ok) {
    auto db = sqlite_db::open(tmp, sqlite_db::mode::create, 5000);
    if (!db) return unexpected(db_write_error(db.error()));
    for (const char* sql : {"PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF", "BEGIN"}) {
        if (auto r = db->exec(sql); !r) return unexpected(db_write_error(r.error()));
    }
    if (auto r = db->exec(schema_sql()); !r) return unexpected(db_write_error(r.error()));
    if (auto r = fill(*db, t, ok); !r) return r;
    if (auto r = db->exec("COMMIT"); !r) return unexpected(db_write_error(r.error()));
    return {};
}

}  // namespace

result<std::vector<rejected_row>, write_error> write_routing_db_file(const std::string& path,
                                                                     const table_set& tables,
                                                                     const write_options& opts) {
    address_resolver resolver(opts.resolve_host_names);
    checked_tables ok = check_tables(tables, resolver);

    std::string tmp = path + ".tmp-XXXXXX";
    unique_fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd)
        return unexpected(
            io_error(fmt::format("creating a temporary file beside {}", path), errno));
    struct remove_unless_renamed {
        std::string path;
        bool renamed = false;
        ~remove_unless_renamed() {
            if (!renamed) ::unlink(path.c_str());
        }
    } cleanup{tmp};

    struct stat old {};
    mode_t mode = ::stat(path.c_str(), &old) == 0 ? (old.st_mode & 07777) : 0644;
    if (::fchmod(fd.get(), mode) != 0) return unexpected(io_error("chmod " + tmp, errno));
    if (auto r = build(tmp, tables, ok); !r) return unexpected(r.error());
    if (::fsync(fd.get()) != 0) return unexpected(io_error("fsync " + tmp, errno));
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return unexpected(io_error(fmt::format("rename {} to {}", tmp, path), errno));
    cleanup.renamed = true;
    // The rename itself survives a crash only once the directory is on disk.
    std::string dir = std::filesystem::path(path).parent_path().string();
    unique_fd dfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) (void)::fsync(dfd.get());
    return std::move(ok.rejected);
}

}  // namespace edge::routing
