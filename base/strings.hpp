#pragma once
// Small text helpers shared by the parts that parse operator input (routing.db values, flag
// values, CSV lines).

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

}  // namespace edge
