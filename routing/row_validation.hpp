#pragma once
// One row of routing.db's `backends` table, as SQLite typed it, and its validation into a
// backend. Pure apart from host-name resolution (through address_resolver). Control thread and
// tools.

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "routing/address.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// A column value with SQLite's dynamic type kept, so that validation can tell NULL, 0 and
/// 'abc' apart.
struct db_value {
    enum class type : std::uint8_t { null, integer, real, text, blob };
    type t = type::null;
    std::int64_t i = 0;
    double r = 0;
    std::string s;  // text (or blob bytes)

    static db_value null() { return {}; }
    static db_value of(std::int64_t v) { return {type::integer, v, 0, {}}; }
    static db_value of_real(double v) { return {type::real, 0, v, {}}; }
    static db_value of(std::string v) { return {type::text, 0, 0, std::move(v)}; }

    bool is_null() const noexcept { return t == type::null; }
    /// The value as an integer when it is one: an INTEGER, an integral REAL, or TEXT holding
    /// exactly a decimal integer (surrounding spaces allowed).
    std::optional<std::int64_t> as_integer() const noexcept;
    /// The value as text for messages and string columns: TEXT as is, numbers formatted.
    std::string as_text() const;
};

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
