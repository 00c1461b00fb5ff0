#pragma once
// routing_writer: the one writer of routing.db. Every edit — edgectl's commands, the etcd feed's
// batches — goes through it, inside a write transaction, and every row is checked with the
// loader's own validation first, so nothing the proxy would reject is ever written. Whole tables
// at once (a feed's snapshot) go through write_routing_db_file (routing/db_replace.hpp).
// Tools only (edgectl, edgectl sync): never the proxy, which opens routing.db read-only.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "routing/rows.hpp"
#include "routing/schema.hpp"
#include "routing/sqlite_db.hpp"

namespace edge::routing {

/// Why a write was refused.
struct write_error {
    enum class kind : std::uint8_t {
        invalid,    // the row fails validation (detail: the reason, as the loader would say it)
        not_found,  // the row to change does not exist
        exists,     // the row to add exists already
        db,         // SQLite failed (locked, read-only, corrupt, wrong schema…)
    };
    kind what;
    std::string detail;
};

struct write_options {
    /// Resolve host names in wg_ip and endpoints while validating (as the proxy will). Off for a
    /// feed: a name is the proxy's to resolve, and a resolver failing here must not keep a row
    /// out of the file; its syntax is still checked.
    bool resolve_host_names = true;
};

/// How put_backend treats a row that exists already.
enum class put_mode : std::uint8_t {
    add,     // fails with `exists` if an active row has the id; a removed one is revived
    update,  // fails with `not_found` unless an active row has the id
    upsert,  // whatever is there
};

class routing_writer {
  public:
    /// Opens routing.db read-write (`create`: making it if missing), waiting up to
    /// `busy_timeout_ms` for other writers and readers. Tools.
    static result<routing_writer, write_error> open(const std::string& path, bool create,
                                                    write_options opts = {},
                                                    int busy_timeout_ms = 5000);

    routing_writer(routing_writer&&) noexcept = default;
    routing_writer& operator=(routing_writer&&) = delete;
    routing_writer(const routing_writer&) = delete;
    routing_writer& operator=(const routing_writer&) = delete;
    /// Rolls back a transaction that was not committed.
    ~routing_writer();

    /// BEGIN IMMEDIATE (the write lock up front, so that checks made inside hold until commit)
    /// and reads the database's shape. Every other call needs a transaction.
    result<void, write_error> begin();
    result<void, write_error> commit();
    void rollback() noexcept;
    const db_shape& shape() const noexcept { return shape_; }

    /// Creates what is missing of schema_sql() (tables, and backends.country on an edgeProxy
    /// database); returns one line per change ("created table wg_peers").
    result<std::vector<std::string>, write_error> ensure_schema();

    /// The active row with `id`; `removed` (if given) says whether a soft-deleted one exists.
    result<std::optional<raw_row>, write_error> find_backend(std::string_view id,
                                                             bool* removed = nullptr);
    /// Validates `row` and writes it (numbers stored as INTEGER, as edgeProxy writes them).
    result<void, write_error> put_backend(const raw_row& row, put_mode mode);
    /// Soft delete (deleted = 1, edgeProxy's convention) of the active row, or with `hard` every
    /// row of the id; either way its draining/send_proxy/health_checks rows go too. not_found
    /// when there was nothing to remove.
    result<void, write_error> remove_backend(std::string_view id, bool hard = false);
    /// Lists or unlists `id` in `draining`.
    result<void, write_error> set_draining(std::string_view id, bool on);
    /// PROXY protocol version 1 or 2 for `id`, or 0 for none.
    result<void, write_error> set_send_proxy(std::string_view id, int version);
    result<void, write_error> put_country_region(const raw_country_region& row);
    result<void, write_error> remove_country_region(std::string_view country);
    /// Validates the peer (and that no other peer has the same allowed IP) and writes it.
    result<void, write_error> put_wg_peer(const raw_wg_peer& row);
    result<void, write_error> remove_wg_peer(std::string_view public_key);
    result<void, write_error> put_health_check(const raw_health_check& row);
    result<void, write_error> remove_health_check(std::string_view id);
    /// A `sync_state` entry (a feed's position in its source).
    result<void, write_error> set_sync_state(std::string_view key, std::string_view value);
    result<std::optional<std::string>, write_error> sync_state(std::string_view key);

    /// The connection, for reads inside the transaction (routing/table_reader.hpp).
    const sqlite_db& db() const noexcept { return db_; }

  private:
    routing_writer(sqlite_db db, write_options opts) : db_(std::move(db)), opts_(opts) {}
    result<void, write_error> ensure_table(std::string_view table);
    result<void, write_error> delete_where(const char* table, const char* column,
                                           std::string_view value, bool* deleted = nullptr);

    sqlite_db db_;
    write_options opts_;
    db_shape shape_;
    bool has_backends_ = false;  // detect_shape found a usable backends table
    bool in_transaction_ = false;
};

/// The write_error for a failed SQLite call.
write_error db_write_error(const load_error& e);

/// Validates a backends row as put_backend would, without writing it: "" when valid, else the
/// reason. For writers of other stores (edgectl --etcd) that must refuse exactly what the file
/// writer refuses. Tools.
std::string backend_row_problem(const raw_row& row, const write_options& opts);

}  // namespace edge::routing
