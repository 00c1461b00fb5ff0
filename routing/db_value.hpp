#pragma once
// db_value: one SQLite column value with its dynamic type kept, for validation and edgectl.
// No SQLite here.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

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

}  // namespace edge::routing
