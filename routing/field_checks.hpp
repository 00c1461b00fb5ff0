#pragma once
// Checks of single column values shared by every table's validation: integers within a range,
// text free of control characters, values quoted for a message, and the escapes of byte columns.
// Pure code; control thread and tools.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "routing/db_value.hpp"

namespace edge::routing {

/// Quotes a value for a message, cut short so that a pasted blob cannot flood the log, with
/// control characters escaped so that it stays one line.
std::string shown(const db_value& v);

/// An integer column that must be present, within [lo, hi].
result<std::int64_t, std::string> need_integer(const db_value& v, std::string_view name,
                                               std::int64_t lo, std::int64_t hi);

/// An integer column where NULL means "not set" (nullopt), otherwise within [lo, hi].
result<std::optional<std::int64_t>, std::string> optional_integer(const db_value& v,
                                                                  std::string_view name,
                                                                  std::int64_t lo, std::int64_t hi);

/// A text column: NULL → "" when `nullable`, else an error; numbers as their text; a blob or a
/// control character (newline, tab, …: they would forge log lines and break one-line output)
/// rejects it.
result<std::string, std::string> need_text(const db_value& v, std::string_view name, bool nullable);

/// Decodes the escapes of a byte column stored as text (\n \r \t \0 \\ \xHH) into the bytes
/// they stand for; an unknown or cut escape is an error. Any thread.
result<std::string, std::string> decode_escapes(std::string_view text, std::string_view name);

/// The inverse of decode_escapes: bytes as text with control characters, backslashes and bytes
/// above 0x7e escaped. Any thread.
std::string encode_escapes(std::string_view bytes);

}  // namespace edge::routing
