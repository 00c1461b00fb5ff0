#pragma once
// One row of routing.db's `backends` table, as SQLite typed it, and its validation into a
// backend. Pure apart from host-name resolution (through address_resolver). Control thread and
// tools.

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "routing/address.hpp"
#include "routing/db_value.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// A `backends` row as read, before any check. `country` is NULL when the table has none.
struct raw_row {
    std::int64_t rowid = 0;
    db_value id, app, region, country, wg_ip, port, healthy, weight, soft_limit, hard_limit,
        deleted;
};

/// How the row should be named in a rejection: its id, or "rowid N" when the id is unusable.
std::string row_label(const raw_row& row);

/// Validates `row`: nullopt for a soft-deleted row (deleted not NULL/0), the backend (slot,
/// shared and generation not yet assigned; zero weight and soft_limit raised to 1) or the
/// reason it is rejected. Control thread or tools (host names are resolved, blocking).
result<std::optional<backend>, std::string> validate_row(const raw_row& row,
                                                         address_resolver& resolver);

}  // namespace edge::routing
