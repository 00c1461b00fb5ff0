#include "base/nearest_word.hpp"

#include <algorithm>

namespace edge {

namespace {

// Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one
// substring): a swapped pair of neighbouring letters, the commonest typo, costs 1, not 2.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
    for (std::size_t j = 0; j <= m; ++j)
        prev[j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
        }
        prev2.swap(prev);
        prev.swap(cur);
    }
    return prev[m];
}

}  // namespace

std::optional<std::string_view> nearest_word(std::string_view word,
                                             const std::vector<std::string_view>& candidates) {
    // A typo changes a letter or two: allow one edit in short words, one per three letters in
    // longer ones (leading dashes do not count), so that an unrelated word suggests nothing.
    std::string_view letters = word;
    while (letters.starts_with('-'))
        letters.remove_prefix(1);
    const std::size_t allowed = std::max<std::size_t>(1, letters.size() / 3);
    std::optional<std::string_view> best;
    std::size_t best_distance = allowed + 1;
    for (std::string_view c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_distance) {
            best = c;
            best_distance = d;
        }
    }
    if (best) return best;
    // An abbreviation: the one candidate that starts with the word (four letters or more).
    if (letters.size() < 4) return std::nullopt;
    std::optional<std::string_view> prefix_of;
    for (std::string_view c : candidates) {
        if (!c.starts_with(word)) continue;
        if (prefix_of) return std::nullopt;  // ambiguous
        prefix_of = c;
    }
    return prefix_of;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
    auto n = nearest_word(word, candidates);
    if (!n) return "";
    return " (did you mean '" + std::string(*n) + "'?)";
}

}  // namespace edge
