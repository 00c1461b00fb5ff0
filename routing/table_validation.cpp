#include "routing/table_validation.hpp"

#include <fmt/format.h>

#include <set>

#include "routing/health_check_validation.hpp"
#include "routing/option_tables.hpp"
#include "routing/row_validation.hpp"
#include "routing/wg_peer_validation.hpp"

namespace edge::routing {

namespace {

void check_country_regions(const table_set& t, checked_tables& out) {
    for (std::size_t i = 0; i < t.country_regions.size(); ++i) {
        const raw_country_region& row = t.country_regions[i];
        auto cr = validate_country_region(row);
        if (!cr) {
            out.rejected.push_back({country_region_label(row), std::move(cr.error())});
            continue;
        }
        bool dup = false;
        for (const auto& [k, v] : out.country_regions)
            dup = dup || k == cr->first;
        if (dup) {
            out.rejected.push_back({country_region_label(row), "duplicate country"});
            continue;
        }
        out.country_regions.push_back(*cr);
        out.country_region_rows.push_back(i);
    }
}

void check_wg_peers(const table_set& t, address_resolver& resolver, checked_tables& out) {
    for (std::size_t i = 0; i < t.wg_peers.size(); ++i) {
        const raw_wg_peer& row = t.wg_peers[i];
        auto peer = validate_wg_peer(row, resolver);
        if (!peer) {
            out.rejected.push_back({wg_peer_label(row), std::move(peer.error())});
            continue;
        }
        // One key, one peer; one prefix, one peer (WireGuard would silently move the prefix to
        // whichever peer came last, which a table edit should never decide by row order).
        std::string why;
        for (const wg_peer& other : out.wg_peers) {
            if (other.public_key == peer->public_key) why = "duplicate public_key";
            for (const ip_prefix& p : peer->allowed_ips)
                for (const ip_prefix& q : other.allowed_ips)
                    if (why.empty() && p == q)
                        why = fmt::format("allowed IP {} already belongs to an earlier peer",
                                          edge::to_string(p));
        }
        if (!why.empty()) {
            out.rejected.push_back({wg_peer_label(row), std::move(why)});
            continue;
        }
        out.wg_peers.push_back(std::move(*peer));
        out.wg_peer_rows.push_back(i);
    }
}

void check_health_checks(const table_set& t, checked_tables& out) {
    std::set<std::string, std::less<>> seen;
    for (std::size_t i = 0; i < t.health_checks.size(); ++i) {
        const raw_health_check& row = t.health_checks[i];
        auto hc = validate_health_check(row);
        if (!hc) {
            out.rejected.push_back({health_check_label(row), std::move(hc.error())});
            continue;
        }
        if (!seen.insert(hc->backend_id).second) {
            out.rejected.push_back({health_check_label(row), "duplicate id"});
            continue;
        }
        out.health_checks.push_back(std::move(*hc));
        out.health_check_rows.push_back(i);
    }
}

}  // namespace

checked_tables check_tables(const table_set& t, address_resolver& resolver) {
    checked_tables out;
    std::set<std::string, std::less<>> draining;
    for (std::size_t i = 0; i < t.draining.size(); ++i) {
        auto id = validate_draining_id(db_value::of(t.draining[i]));
        if (!id) continue;  // an id no backend can have: nothing to drain
        if (draining.insert(*id).second) out.draining_rows.push_back(i);
    }
    std::unordered_map<std::string, std::uint8_t> send_proxy;
    for (std::size_t i = 0; i < t.send_proxy.size(); ++i) {
        const raw_send_proxy& row = t.send_proxy[i];
        if (row.id.is_null()) continue;
        auto sp = validate_send_proxy(row);
        if (!sp) {
            out.rejected.push_back({send_proxy_label(row), std::move(sp.error())});
            continue;
        }
        send_proxy[sp->first] = sp->second;
        out.send_proxy_rows.push_back(i);
    }
    check_country_regions(t, out);
    check_wg_peers(t, resolver, out);
    check_health_checks(t, out);
    std::unordered_map<std::string_view, std::int32_t> check_of;
    for (std::size_t i = 0; i < out.health_checks.size(); ++i)
        check_of.emplace(out.health_checks[i].backend_id, static_cast<std::int32_t>(i));

    out.backends.reserve(t.backends.size());
    std::unordered_map<std::string, std::int64_t> first_rowid;  // id → rowid of its first row
    for (std::size_t i = 0; i < t.backends.size(); ++i) {
        const raw_row& row = t.backends[i];
        auto v = validate_row(row, resolver);
        if (!v) {
            out.rejected.push_back({row_label(row), std::move(v.error())});
            continue;
        }
        if (!v->has_value()) {
            ++out.rows_deleted;
            out.backend_rows.push_back(i);
            continue;
        }
        backend& b = **v;
        // Rows not read from a file (a feed's) are numbered as they will be written.
        auto [it, fresh] =
            first_rowid.try_emplace(b.id, row.rowid ? row.rowid : static_cast<std::int64_t>(i + 1));
        if (!fresh) {
            out.rejected.push_back(
                {b.id, fmt::format("duplicate id (first at rowid {})", it->second)});
            continue;
        }
        b.draining = draining.count(b.id) != 0;
        if (auto sp = send_proxy.find(b.id); sp != send_proxy.end()) b.send_proxy = sp->second;
        if (auto hc = check_of.find(b.id); hc != check_of.end()) b.health_check = hc->second;
        out.backends.push_back(std::move(b));
        out.backend_rows.push_back(i);
    }
    return out;
}

}  // namespace edge::routing
