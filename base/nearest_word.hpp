#pragma once
// nearest_word: "did you mean …?" for a mistyped flag or command. The nearest candidate by edit
// distance (insertions, deletions, substitutions and swaps of neighbours each cost 1), offered
// only when it is close enough to be a typo; or the one candidate the word starts.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edge {

/// The candidate `word` most likely meant, or nullopt when none is close. Any thread.
std::optional<std::string_view> nearest_word(std::string_view word,
                                             const std::vector<std::string_view>& candidates);

/// " (did you mean 'X'?)" for the nearest candidate, or "" when there is none: to append to an
/// "unknown flag" message. Any thread.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace edge
