#include "routing/table_reader.hpp"

#include <fmt/format.h>

#include <initializer_list>
#include <span>

namespace edge::routing {

namespace {

// Runs `sql` (with ?1 bound to `id` when given) and hands each row's columns, SQLite types
// kept, to `add`.
template <class Add>
result<void, load_error> each_row(const sqlite_db& db, const std::string& sql, int columns,
                                  std::optional<std::string_view> id, std::string_view what,
                                  Add&& add) {
    auto st = db.prepare(sql);
    if (!st) return unexpected(st.error());
    if (id) st->bind_text(1, *id);
    int rc;
    std::vector<db_value> values(static_cast<std::size_t>(columns));
    while ((rc = st->step()) == SQLITE_ROW) {
        for (int i = 0; i < columns; ++i)
            values[static_cast<std::size_t>(i)] = st->value(i);
        add(values);
    }
    if (rc != SQLITE_DONE) return unexpected(db.error(rc, fmt::format("reading {}", what)));
    return {};
}

// A table whose rows are plain columns: "SELECT c1, c2… FROM t ORDER BY rowid", each value
// moved into the row's fields in order.
// `fields` name the row's members in the order of `columns`.
template <class Row>
result<std::vector<Row>, load_error> read_plain(const sqlite_db& db, const char* table,
                                                std::span<const char* const> columns,
                                                std::initializer_list<db_value Row::*> fields) {
    std::string names;
    for (const char* c : columns)
        names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", c);
    std::vector<Row> rows;
    auto add = [&](std::vector<db_value>& v) {
        Row r;
        std::size_t i = 0;
        for (db_value Row::*f : fields)
            r.*f = std::move(v[i++]);
        rows.push_back(std::move(r));
    };
    // Tables made by hand may be WITHOUT ROWID: then in the order SQLite gives.
    auto r = each_row(db, fmt::format("SELECT {} FROM \"{}\" ORDER BY rowid", names, table),
                      static_cast<int>(columns.size()), {}, table, add);
    if (!r) {
        rows.clear();
        r = each_row(db, fmt::format("SELECT {} FROM \"{}\"", names, table),
                     static_cast<int>(columns.size()), {}, table, add);
    }
    if (!r) return unexpected(r.error());
    return rows;
}

}  // namespace

result<std::vector<raw_row>, load_error> read_backend_rows(const sqlite_db& db,
                                                           const db_shape& shape,
                                                           std::optional<std::string_view> id) {
    std::string sql = fmt::format(
        "SELECT {}, id, app, region, {}, wg_ip, port, healthy, weight, soft_limit, hard_limit, "
        "deleted FROM backends{}{}",
        shape.has_rowid ? "rowid" : "NULL", shape.has_country ? "country" : "NULL",
        id ? " WHERE id = ?1" : "", shape.has_rowid ? " ORDER BY rowid" : "");
    std::vector<raw_row> rows;
    auto r = each_row(db, sql, 12, id, "backends", [&](std::vector<db_value>& v) {
        raw_row row;
        row.rowid = v[0].is_null() ? static_cast<std::int64_t>(rows.size() + 1) : v[0].i;
        db_value* fields[] = {&row.id,         &row.app,        &row.region,  &row.country,
                              &row.wg_ip,      &row.port,       &row.healthy, &row.weight,
                              &row.soft_limit, &row.hard_limit, &row.deleted};
        for (std::size_t i = 0; i < 11; ++i)
            *fields[i] = std::move(v[i + 1]);
        rows.push_back(std::move(row));
    });
    if (!r) return unexpected(r.error());
    return rows;
}

result<table_set, load_error> read_table_set(const sqlite_db& db, const db_shape& shape) {
    table_set t;
    auto backends = read_backend_rows(db, shape);
    if (!backends) return unexpected(backends.error());
    t.backends = std::move(*backends);
    if (shape.has_draining) {
        auto r = each_row(db, "SELECT id FROM draining", 1, {}, "draining",
                          [&](std::vector<db_value>& v) {
                              if (!v[0].is_null()) t.draining.push_back(v[0].as_text());
                          });
        if (!r) return unexpected(r.error());
    }
    if (shape.has_country_regions) {
        static constexpr const char* columns[] = {"country", "region"};
        auto rows = read_plain<raw_country_region>(
            db, "country_regions", columns,
            {&raw_country_region::country, &raw_country_region::region});
        if (!rows) return unexpected(rows.error());
        t.country_regions = std::move(*rows);
    }
    if (shape.has_send_proxy) {
        static constexpr const char* columns[] = {"id", "version"};
        auto rows = read_plain<raw_send_proxy>(db, "send_proxy", columns,
                                               {&raw_send_proxy::id, &raw_send_proxy::version});
        if (!rows) return unexpected(rows.error());
        t.send_proxy = std::move(*rows);
    }
    if (shape.has_wg_peers) {
        auto rows = read_plain<raw_wg_peer>(
            db, "wg_peers", wg_peer_columns,
            {&raw_wg_peer::public_key, &raw_wg_peer::preshared_key, &raw_wg_peer::endpoint,
             &raw_wg_peer::allowed_ips, &raw_wg_peer::persistent_keepalive});
        if (!rows) return unexpected(rows.error());
        t.wg_peers = std::move(*rows);
    }
    if (shape.has_health_checks) {
        using h = raw_health_check;
        auto rows =
            read_plain<h>(db, "health_checks", health_check_columns,
                          {&h::id, &h::kind, &h::send, &h::expect, &h::http_path, &h::http_status,
                           &h::interval_ms, &h::timeout_ms, &h::rise, &h::fall, &h::jitter_ms});
        if (!rows) return unexpected(rows.error());
        t.health_checks = std::move(*rows);
    }
    if (shape.has_sync_state) {
        auto r = each_row(db, "SELECT key, value FROM sync_state", 2, {}, "sync_state",
                          [&](std::vector<db_value>& v) {
                              if (!v[0].is_null())
                                  t.sync_state.emplace_back(v[0].as_text(), v[1].as_text());
                          });
        if (!r) return unexpected(r.error());
    }
    return t;
}

}  // namespace edge::routing
