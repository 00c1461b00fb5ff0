#include "engine/health/reply_check.hpp"

namespace edge::engine::health {

namespace {

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason-phrase]; some servers end
// the line right after the code, so CR or LF may follow it too.
constexpr std::size_t max_status_line = 256;

}  // namespace

reply_verdict check_expect(std::string_view got, std::string_view expect) noexcept {
    std::size_t n = got.size() < expect.size() ? got.size() : expect.size();
    if (got.substr(0, n) != expect.substr(0, n)) return reply_verdict::mismatch;
    return n == expect.size() ? reply_verdict::pass : reply_verdict::need_more;
}

reply_verdict check_http_status(std::string_view got, std::uint16_t min, std::uint16_t max,
                                bool at_end) noexcept {
    constexpr std::string_view prefix = "HTTP/";
    if (check_expect(got, prefix) == reply_verdict::mismatch) return reply_verdict::mismatch;
    // The version: digits and dots up to the first space.
    std::size_t i = prefix.size();
    while (i < got.size() && (is_digit(got[i]) || got[i] == '.'))
        ++i;
    if (i >= got.size())
        return i > max_status_line ? reply_verdict::mismatch : reply_verdict::need_more;
    if (got[i] != ' ' || i == prefix.size()) return reply_verdict::mismatch;
    ++i;
    bool ends_at_code = at_end && got.size() == i + 3;
    if (got.size() < i + 4 && !ends_at_code) {
        // Three digits and what follows them are not all here yet; what is must be digits.
        for (std::size_t k = i; k < got.size() && k < i + 3; ++k)
            if (!is_digit(got[k])) return reply_verdict::mismatch;
        return reply_verdict::need_more;
    }
    if (!is_digit(got[i]) || !is_digit(got[i + 1]) || !is_digit(got[i + 2]))
        return reply_verdict::mismatch;
    char after = ends_at_code ? '\n' : got[i + 3];
    if (after != ' ' && after != '\r' && after != '\n') return reply_verdict::mismatch;
    unsigned code =
        static_cast<unsigned>((got[i] - '0') * 100 + (got[i + 1] - '0') * 10 + (got[i + 2] - '0'));
    return code >= min && code <= max ? reply_verdict::pass : reply_verdict::mismatch;
}

}  // namespace edge::engine::health
