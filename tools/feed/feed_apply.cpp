#include "tools/feed/feed_apply.hpp"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <stdexcept>

#include "base/log.hpp"
#include "base/strings.hpp"
#include "routing/db_replace.hpp"
#include "routing/schema.hpp"
#include "routing/sqlite_db.hpp"
#include "routing/table_reader.hpp"
#include "routing/table_validation.hpp"
#include "routing/writer.hpp"

namespace edge::feed {

namespace {

using routing::db_value;

// A feed never resolves names: that is the proxy's to do when it loads the file.
constexpr routing::write_options feed_write_options{false};

std::vector<std::pair<std::string, std::string>> state_rows(std::int64_t revision,
                                                            std::uint64_t cluster_id,
                                                            const std::string& prefix) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    return {{"etcd_revision", std::to_string(revision)},
            {"etcd_cluster_id", std::to_string(cluster_id)},
            {"etcd_prefix", prefix},
            {"synced_at_unix", std::to_string(now)}};
}

void log_rejected(const rejected_key& r) {
    log::warn("sync: rejected etcd key {}: {}", escape_control(r.key), escape_control(r.reason));
}

// The name of a row in its table (the key's last part), to find a file row for an etcd key.
std::string name_of(const feed_row& row) {
    struct visitor {
        std::string operator()(const routing::raw_row& r) { return r.id.as_text(); }
        std::string operator()(const routing::raw_wg_peer& r) { return r.public_key.as_text(); }
        std::string operator()(const routing::raw_country_region& r) { return r.country.as_text(); }
        std::string operator()(const routing::raw_health_check& r) { return r.id.as_text(); }
        std::string operator()(const routing::raw_send_proxy& r) { return r.id.as_text(); }
        std::string operator()(const std::string& id) { return id; }
    };
    return std::visit(visitor{}, row);
}

// Every row of the current file by (table, name): what a rejected key falls back to.
std::map<std::pair<feed_table, std::string>, feed_row> rows_of_file(const std::string& db_path) {
    std::map<std::pair<feed_table, std::string>, feed_row> out;
    auto db = routing::sqlite_db::open(db_path, routing::sqlite_db::mode::read_only, 5000);
    if (!db || !db->exec("BEGIN")) return out;
    auto shape = routing::detect_shape(*db);
    if (!shape) return out;
    auto t = routing::read_table_set(*db, *shape);
    (void)db->exec("COMMIT");
    if (!t) return out;
    auto put = [&](feed_table table, feed_row row) {
        std::string name = name_of(row);
        out.emplace(std::pair{table, std::move(name)}, std::move(row));
    };
    for (auto& r : t->backends)
        put(feed_table::backends, std::move(r));
    for (auto& r : t->wg_peers)
        put(feed_table::wg_peers, std::move(r));
    for (auto& r : t->country_regions)
        put(feed_table::country_regions, std::move(r));
    for (auto& r : t->health_checks)
        put(feed_table::health_checks, std::move(r));
    for (auto& r : t->send_proxy)
        put(feed_table::send_proxy, std::move(r));
    for (auto& id : t->draining)
        put(feed_table::draining, std::move(id));
    return out;
}

// The problem with `row` that the file writer would refuse it for, "" if none.
std::string row_problem(const feed_row& row) {
    routing::table_set one;
    add_row(one, row);
    routing::address_resolver syntax_only(false);
    // check_tables is the loader's own validation; a row alone cannot clash with others here,
    // which the whole-file check after it catches.
    auto checked = routing::check_tables(one, syntax_only);
    return checked.rejected.empty() ? std::string() : checked.rejected.front().reason;
}

}  // namespace

file_position read_position(const std::string& db_path) {
    file_position pos;
    auto db = routing::sqlite_db::open(db_path, routing::sqlite_db::mode::read_only, 5000);
    if (!db || !db->exec("BEGIN")) return pos;
    auto shape = routing::detect_shape(*db);
    if (shape) {
        if (auto t = routing::read_table_set(*db, *shape)) {
            for (const auto& r : t->backends) {
                auto d = r.deleted.as_integer();
                pos.backends += r.deleted.is_null() || (d && *d == 0);
            }
            for (const auto& [k, v] : t->sync_state) {
                if (k == "etcd_revision") pos.revision = std::strtoll(v.c_str(), nullptr, 10);
                if (k == "etcd_cluster_id") pos.cluster_id = std::strtoull(v.c_str(), nullptr, 10);
                if (k == "etcd_prefix") pos.prefix = v;
            }
        }
    }
    (void)db->exec("COMMIT");
    if (pos.revision < 0) pos.revision = 0;
    return pos;
}

apply_result write_snapshot(const std::string& db_path, const std::string& prefix,
                            const std::vector<key_value>& kvs, std::int64_t revision,
                            std::uint64_t cluster_id) {
    apply_result out;
    routing::table_set t;
    std::map<std::pair<feed_table, std::string>, feed_row> old;
    bool old_read = false;
    for (const key_value& kv : kvs) {
        auto key = parse_feed_key(prefix, kv.key);
        if (!key) {
            ++out.ignored_keys;
            continue;
        }
        auto row = decode_value(*key, kv.value);
        std::string problem = row ? row_problem(*row) : row.error();
        if (problem.empty()) {
            add_row(t, std::move(*row));
            continue;
        }
        out.rejected.push_back({kv.key, problem});
        if (!old_read) {
            old = rows_of_file(db_path);
            old_read = true;
        }
        if (auto it = old.find({key->table, key->name}); it != old.end()) {
            log::warn("sync: keeping routing.db's previous row for {}", escape_control(kv.key));
            add_row(t, it->second);
        }
    }
    t.sync_state = state_rows(revision, cluster_id, prefix);
    auto written = routing::write_routing_db_file(db_path, t, feed_write_options);
    if (!written) throw std::runtime_error(written.error().detail);
    // Rows refused only in the company of others (an allowed IP claimed twice, for one).
    for (const auto& r : *written)
        out.rejected.push_back({r.id, r.reason});
    for (const auto& r : out.rejected)
        log_rejected(r);
    out.rows_written = kvs.size() - out.rejected.size() - out.ignored_keys;
    return out;
}

apply_result apply_events(const std::string& db_path, const std::string& prefix,
                          const std::vector<watch_event>& events, std::int64_t revision,
                          std::uint64_t cluster_id) {
    apply_result out;
    auto writer = routing::routing_writer::open(db_path, false, feed_write_options);
    if (!writer) throw std::runtime_error(writer.error().detail);
    if (auto r = writer->begin(); !r) throw std::runtime_error(r.error().detail);
    auto fail = [&](const routing::write_error& e) {
        throw std::runtime_error(fmt::format("writing {}: {}", db_path, e.detail));
    };
    // In order, each on its own: a value rejected after a good one leaves the good one in place
    // (coalescing a key's events to its last would lose it).
    for (const watch_event& event : events) {
        const watch_event* e = &event;
        auto key = parse_feed_key(prefix, e->kv.key);
        if (!key) {
            ++out.ignored_keys;
            continue;
        }
        result<void, routing::write_error> done;
        if (e->is_delete) {
            switch (key->table) {
                case feed_table::backends:
                    done = writer->remove_backend(key->name, true);
                    break;
                case feed_table::wg_peers:
                    done = writer->remove_wg_peer(key->name);
                    break;
                case feed_table::country_regions:
                    done = writer->remove_country_region(key->name);
                    break;
                case feed_table::health_checks:
                    done = writer->remove_health_check(key->name);
                    break;
                case feed_table::send_proxy:
                    done = writer->set_send_proxy(key->name, 0);
                    break;
                case feed_table::draining:
                    done = writer->set_draining(key->name, false);
                    break;
            }
            if (!done && done.error().what != routing::write_error::kind::not_found)
                fail(done.error());
            ++out.rows_written;
            continue;
        }
        auto row = decode_value(*key, e->kv.value);
        if (!row) {
            out.rejected.push_back({e->kv.key, row.error()});
            continue;
        }
        struct visitor {
            routing::routing_writer& w;
            result<void, routing::write_error> operator()(const routing::raw_row& r) {
                return w.put_backend(r, routing::put_mode::upsert);
            }
            result<void, routing::write_error> operator()(const routing::raw_wg_peer& r) {
                return w.put_wg_peer(r);
            }
            result<void, routing::write_error> operator()(const routing::raw_country_region& r) {
                return w.put_country_region(r);
            }
            result<void, routing::write_error> operator()(const routing::raw_health_check& r) {
                return w.put_health_check(r);
            }
            result<void, routing::write_error> operator()(const routing::raw_send_proxy& r) {
                auto v = r.version.as_integer();
                if (!v || *v < 1 || *v > 2)
                    return unexpected(routing::write_error{routing::write_error::kind::invalid,
                                                           "version must be 1 or 2"});
                return w.set_send_proxy(r.id.as_text(), static_cast<int>(*v));
            }
            result<void, routing::write_error> operator()(const std::string& id) {
                return w.set_draining(id, true);
            }
        };
        done = std::visit(visitor{*writer}, *row);
        if (!done) {
            if (done.error().what != routing::write_error::kind::invalid) fail(done.error());
            out.rejected.push_back({e->kv.key, done.error().detail});
            continue;
        }
        ++out.rows_written;
    }
    for (const auto& [k, v] : state_rows(revision, cluster_id, prefix))
        if (auto r = writer->set_sync_state(k, v); !r) fail(r.error());
    if (auto r = writer->commit(); !r) fail(r.error());
    for (const auto& r : out.rejected)
        log_rejected(r);
    return out;
}

}  // namespace edge::feed
