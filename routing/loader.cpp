// load_snapshot: open read-only → detect the shape → read every table in one read transaction →
// validate row by row → build the snapshot. Each step lives in its own file; this one only
// sequences them and reads rows.

#include "routing/loader.hpp"

#include <fmt/format.h>

#include <set>
#include <unordered_map>

#include "routing/registry.hpp"
#include "routing/row_validation.hpp"
#include "routing/schema.hpp"
#include "routing/snapshot_build.hpp"
#include "routing/sqlite_db.hpp"

namespace edge::routing {

namespace {

result<std::vector<raw_row>, load_error> read_backends(const sqlite_db& db, const db_shape& shape) {
    std::string sql = fmt::format(
        "SELECT {}, id, app, region, {}, wg_ip, port, healthy, weight, soft_limit, hard_limit, "
        "deleted FROM backends{}",
        shape.has_rowid ? "rowid" : "NULL", shape.has_country ? "country" : "NULL",
        shape.has_rowid ? " ORDER BY rowid" : "");
    auto st = db.prepare(sql);
    if (!st) return unexpected(st.error());
    std::vector<raw_row> rows;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
        raw_row r;
        r.rowid = shape.has_rowid ? st->integer(0) : static_cast<std::int64_t>(rows.size() + 1);
        db_value* fields[] = {&r.id,         &r.app,        &r.region,  &r.country,
                              &r.wg_ip,      &r.port,       &r.healthy, &r.weight,
                              &r.soft_limit, &r.hard_limit, &r.deleted};
        for (int i = 0; i < 11; ++i)
            *fields[i] = st->value(i + 1);
        rows.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return unexpected(db.error(rc, "reading backends"));
    return rows;
}

result<std::set<std::string, std::less<>>, load_error> read_draining(const sqlite_db& db) {
    std::set<std::string, std::less<>> ids;
    auto st = db.prepare("SELECT id FROM draining");
    if (!st) return unexpected(st.error());
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
        if (!st->is_null(0)) ids.insert(st->text(0));
    }
    if (rc != SQLITE_DONE) return unexpected(db.error(rc, "reading draining"));
    return ids;
}

result<std::vector<country_region>, load_error> read_country_regions(
    const sqlite_db& db, std::vector<rejected_row>& rejected) {
    std::vector<country_region> out;
    auto st = db.prepare("SELECT country, region FROM country_regions ORDER BY rowid");
    if (!st) st = db.prepare("SELECT country, region FROM country_regions");
    if (!st) return unexpected(st.error());
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
        std::string c = st->text(0), r = st->text(1);
        std::string label = fmt::format("country_regions '{}'", c);
        auto cc = geo::country_code::parse(c);
        if (!cc) {
            rejected.push_back({label, "country is not a two-letter code"});
            continue;
        }
        auto rc2 = geo::region_code::parse(r);
        if (!rc2) {
            rejected.push_back({label, fmt::format("region '{}' is empty, longer than {} bytes or "
                                                   "has invalid characters",
                                                   r, geo::region_code::max_length)});
            continue;
        }
        bool dup = false;
        for (const auto& [k, v] : out)
            dup = dup || k == *cc;
        if (dup) {
            rejected.push_back({label, "duplicate country"});
            continue;
        }
        out.emplace_back(*cc, *rc2);
    }
    if (rc != SQLITE_DONE) return unexpected(db.error(rc, "reading country_regions"));
    return out;
}

// send_proxy rows: backend id → PROXY protocol version (1 or 2). Other versions are rejected.
result<void, load_error> read_send_proxy(const sqlite_db& db, std::vector<rejected_row>& rejected,
                                         std::unordered_map<std::string, std::uint8_t>& out) {
    auto st = db.prepare("SELECT id, version FROM send_proxy");
    if (!st) return unexpected(st.error());
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
        if (st->is_null(0)) continue;
        std::string id = st->text(0);
        std::int64_t v = st->is_null(1) ? 0 : st->integer(1);
        if (v != 1 && v != 2) {
            rejected.push_back({fmt::format("send_proxy '{}'", id), "version must be 1 or 2"});
            continue;
        }
        out[id] = static_cast<std::uint8_t>(v);
    }
    if (rc != SQLITE_DONE) return unexpected(db.error(rc, "reading send_proxy"));
    return {};
}

// Reads everything inside one read transaction so that the snapshot is one committed state.
struct db_contents {
    db_shape shape;
    std::vector<raw_row> rows;
    std::set<std::string, std::less<>> draining;
    std::unordered_map<std::string, std::uint8_t> send_proxy;
    std::vector<country_region> country_regions;
};

result<db_contents, load_error> read_all(const sqlite_db& db, std::vector<rejected_row>& rejected) {
    if (auto r = db.exec("BEGIN"); !r) return unexpected(r.error());
    db_contents c;
    auto body = [&]() -> result<void, load_error> {
        auto shape = detect_shape(db);
        if (!shape) return unexpected(shape.error());
        c.shape = std::move(*shape);
        auto rows = read_backends(db, c.shape);
        if (!rows) return unexpected(rows.error());
        c.rows = std::move(*rows);
        if (c.shape.has_draining) {
            auto d = read_draining(db);
            if (!d) return unexpected(d.error());
            c.draining = std::move(*d);
        }
        if (c.shape.has_send_proxy) {
            if (auto sp = read_send_proxy(db, rejected, c.send_proxy); !sp)
                return unexpected(sp.error());
        }
        if (c.shape.has_country_regions) {
            auto cr = read_country_regions(db, rejected);
            if (!cr) return unexpected(cr.error());
            c.country_regions = std::move(*cr);
        }
        return {};
    };
    auto r = body();
    (void)db.exec("COMMIT");  // a read transaction: ending it cannot lose anything
    if (!r) return unexpected(r.error());
    return c;
}

}  // namespace

result<load_result, load_error> load_snapshot(const load_options& opts,
                                              backend_registry& registry) {
    auto db = sqlite_db::open(opts.db_path, sqlite_db::mode::read_only, opts.busy_timeout_ms);
    if (!db) return unexpected(db.error());
    load_result out;
    auto contents = read_all(*db, out.rejected);
    if (!contents) {
        load_error e = contents.error();
        e.detail = fmt::format("{}: {}", opts.db_path, e.detail);
        return unexpected(std::move(e));
    }
    out.warnings = std::move(contents->shape.ignored_tables);
    out.rows_read = contents->rows.size();

    snapshot_input in;
    in.pop_region = opts.pop_region;
    in.country_regions = std::move(contents->country_regions);
    in.backends.reserve(contents->rows.size());
    address_resolver resolver;
    std::unordered_map<std::string, std::int64_t> first_rowid;  // id → rowid of its first row
    for (const raw_row& row : contents->rows) {
        auto v = validate_row(row, resolver);
        if (!v) {
            out.rejected.push_back({row_label(row), std::move(v.error())});
            continue;
        }
        if (!v->has_value()) {
            ++out.rows_deleted;
            continue;
        }
        backend& b = **v;
        auto [it, fresh] = first_rowid.try_emplace(b.id, row.rowid);
        if (!fresh) {
            out.rejected.push_back(
                {b.id, fmt::format("duplicate id (first at rowid {})", it->second)});
            continue;
        }
        b.draining = contents->draining.count(b.id) != 0;
        if (auto sp = contents->send_proxy.find(b.id); sp != contents->send_proxy.end())
            b.send_proxy = sp->second;
        in.backends.push_back(std::move(b));
    }
    out.snap = build_snapshot(std::move(in), registry, out.rejected);
    return out;
}

}  // namespace edge::routing
