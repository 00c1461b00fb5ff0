#pragma once
// Small text helpers shared by the parts that parse operator input (routing.db values, flag
// values, CSV lines) and print it back (logs, edgectl).

#include <cstddef>
#include <string>
#include <string_view>

namespace edge {

/// `s` without leading and trailing spaces and tabs. Any thread.
constexpr std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// True for the C0 control characters and DEL: bytes that would move a terminal's cursor or
/// start a new log line if printed as they are. Any thread.
constexpr bool is_control_char(char c) noexcept {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

/// Index of the first control character in `s`, or npos. Any thread.
constexpr std::size_t find_control_char(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (is_control_char(s[i])) return i;
    return std::string_view::npos;
}

/// `s` with every control character written as an escape (\n, \r, \t, \xHH), so that text from
/// a database or a network can be logged or printed as one line. Any thread.
std::string escape_control(std::string_view s);

/// "newline", "tab", "carriage return" or "0xHH": a control character named for a message.
std::string control_char_name(char c);

}  // namespace edge
