#pragma once
// One row of routing.db's `backends` table, as SQLite typed it, and its validation into a
// backend. Pure apart from host-name resolution (through address_resolver). Control thread and
// tools.

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "routing/address.hpp"
#include "routing/rows.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// How the row should be named in a rejection: its id (control characters escaped), or
/// "rowid N" when the id is unusable.
std::string row_label(const raw_row& row);

/// Validates `row`: nullopt for a soft-deleted row (deleted not NULL/0), the backend (slot,
/// shared and generation not yet assigned; zero weight and soft_limit raised to 1) or the
/// reason it is rejected. Text columns with a control character are rejected (they would forge
/// log lines). Control thread or tools (host names are resolved, blocking, unless the resolver
/// only checks their syntax).
result<std::optional<backend>, std::string> validate_row(const raw_row& row,
                                                         address_resolver& resolver);

}  // namespace edge::routing
