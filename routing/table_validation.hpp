#pragma once
// Validation of a whole routing.db (every table's rows, read or about to be written): each row
// alone (routing/row_validation, option_tables, wg_peer_validation, health_check_validation),
// then the rules between rows — one row per id, per country, per peer key, and no allowed IP
// claimed by two peers. The loader builds its snapshot from the result; the writer writes exactly
// the rows that passed. Control thread or tools (host names resolved through the resolver).

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "routing/address.hpp"
#include "routing/loader.hpp"
#include "routing/rows.hpp"
#include "routing/types.hpp"

namespace edge::routing {

struct checked_tables {
    /// Active backends in table order, with draining, send_proxy and health_check set (slot,
    /// shared and generation not yet assigned).
    std::vector<backend> backends;
    std::vector<country_region> country_regions;
    std::vector<wg_peer> wg_peers;
    std::vector<health_check> health_checks;  // backend::health_check indexes it
    /// Indexes into the table_set's vectors of the rows that passed (soft-deleted backends
    /// included: they are valid rows, only not active).
    std::vector<std::size_t> backend_rows, country_region_rows, draining_rows, send_proxy_rows,
        wg_peer_rows, health_check_rows;
    std::vector<rejected_row> rejected;
    std::size_t rows_deleted = 0;
};

/// Checks every row of `t`. Control thread or tools.
checked_tables check_tables(const table_set& t, address_resolver& resolver);

}  // namespace edge::routing
