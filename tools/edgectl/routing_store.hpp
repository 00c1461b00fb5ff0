#pragma once
// routing_store: where edgectl's edits go — a routing.db file (through routing::routing_writer)
// or an etcd cluster (`--etcd ENDPOINTS`, the rows `edgectl sync` copies into each POP's file).
// A command reads and changes rows through one store inside one transaction, so that it is
// written once for both. Every row is validated by routing/ before it is written, whichever the
// store. Tools code: failures throw (usage_error for input the operator must change).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "routing/rows.hpp"
#include "routing/writer.hpp"
#include "tools/edgectl/routing_cli.hpp"
#include "tools/feed/etcd_client.hpp"

namespace edge::edgectl {

class routing_store {
  public:
    virtual ~routing_store() = default;

    /// "routing.db at PATH" or "etcd at URLS": for messages.
    virtual std::string where() const = 0;
    /// Whether backends rows may carry a country (an old edgeProxy file may lack the column).
    virtual bool has_country() = 0;
    /// The active backend `id`; `removed` says whether a removed one exists.
    virtual std::optional<routing::raw_row> backend(const std::string& id, bool* removed) = 0;
    /// Validates and writes a backend row (see routing::put_mode).
    virtual void put_backend(const routing::raw_row& row, routing::put_mode mode) = 0;
    /// Removes backend `id` and its draining/send_proxy/health_checks rows.
    virtual void remove_backend(const std::string& id) = 0;
    virtual void set_draining(const std::string& id, bool on) = 0;
    /// PROXY protocol version 1 or 2 to backend `id`; 0: none.
    virtual void set_send_proxy(const std::string& id, int version) = 0;
    virtual void put_wg_peer(const routing::raw_wg_peer& row) = 0;
    virtual void remove_wg_peer(const std::string& public_key) = 0;
    virtual void put_health_check(const routing::raw_health_check& row) = 0;
    virtual void remove_health_check(const std::string& id) = 0;
    /// Every row, as stored (for list commands).
    virtual routing::table_set rows() = 0;
    /// Makes the edits visible at once (one SQLite transaction, one etcd txn). An etcd store
    /// throws edit_conflict when a row it read changed meanwhile.
    virtual void commit() = 0;
};

/// A row the command read was changed by someone else before commit: run the command again.
struct edit_conflict : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Sets `field` to flag --`flag`'s text when it was given (validation parses it later).
inline void take_flag(const flag_set& f, const char* flag, routing::db_value& field) {
    if (const std::string* v = f.value(flag)) field = routing::db_value::of(*v);
}

/// Flags every store-using command accepts: --etcd and its connection options.
extern const std::set<std::string> store_value_flags;

/// Opens the store the flags name: etcd with --etcd (then `positional` holds no DB), else the
/// routing.db file `db_path`. `resolve`: check host names with DNS (else only their syntax).
std::unique_ptr<routing_store> open_store(const flag_set& f, const std::string& db_path,
                                          bool resolve);

/// Runs `edit` against a fresh store and commits, again (up to 5 times) when an etcd commit meets
/// a concurrent change. Returns what `edit` returned.
template <class Edit>
auto run_edit(const flag_set& f, const std::string& db_path, bool resolve, Edit&& edit) {
    for (int attempt = 1;; ++attempt) {
        auto store = open_store(f, db_path, resolve);
        try {
            auto out = edit(*store);
            store->commit();
            return out;
        } catch (const edit_conflict&) {
            if (attempt == 5) throw;
        }
    }
}

/// The file store (routing_writer in one write transaction). Tools.
std::unique_ptr<routing_store> open_file_store(const std::string& path,
                                               const routing::write_options& opts);
/// The etcd connection the flags describe (--etcd, --user with --password-file, --cacert,
/// --cert, --key); throws usage_error for bad ones.
feed::etcd_options etcd_options_from(const flag_set& f);
/// The etcd store (etcd_store.cpp). Tools.
std::unique_ptr<routing_store> open_etcd_store(const flag_set& f,
                                               const routing::write_options& opts);

}  // namespace edge::edgectl
