// The admin endpoint's bearer token (see admin_auth.hpp).

#include "engine/control/admin_auth.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/base64.hpp"
#include "base/log.hpp"
#include "base/strings.hpp"

namespace edge::engine {

namespace {

char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

/// A header line's part without its line end and surrounding blanks.
std::string_view trim(std::string_view s) noexcept {
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return edge::trim(s);
}

}  // namespace

std::string_view find_header(std::string_view head, std::string_view name) noexcept {
    std::size_t pos = head.find('\n');  // skip the request line
    while (pos != std::string_view::npos && pos + 1 < head.size()) {
        std::size_t start = pos + 1;
        std::size_t end = head.find('\n', start);
        std::string_view line = head.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        std::size_t colon = line.find(':');
        if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name))
            return trim(line.substr(colon + 1));
        pos = end;
    }
    return {};
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    // Every byte of the longer one is visited whatever the contents; only the lengths (not
    // secret: the token's length is no help in guessing it) change the time.
    std::size_t n = a.size() > b.size() ? a.size() : b.size();
    volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff = diff | (x ^ y);
    }
    return diff == 0;
}

bool admin_auth::allows(std::string_view request_head) const noexcept {
    if (token_.empty()) return true;
    std::string_view v = find_header(request_head, "authorization");
    std::size_t sp = v.find(' ');
    if (sp == std::string_view::npos) return false;
    std::string_view scheme = v.substr(0, sp);
    std::string_view credentials = trim(v.substr(sp + 1));
    if (iequals(scheme, "bearer")) return constant_time_equal(credentials, token_);
    if (iequals(scheme, "basic")) {
        if (credentials.size() > 1024) return false;
        auto decoded = base64_decode(credentials);
        if (!decoded) return false;
        std::size_t colon = decoded->find(':');
        if (colon == std::string::npos) return false;
        return constant_time_equal(std::string_view(*decoded).substr(colon + 1), token_);
    }
    return false;
}

result<std::string, std::string> read_token_file(const std::string& path) {
    std::ifstream f(path);
    if (!f)
        return unexpected(
            fmt::format("--admin-token-file {}: cannot read: {}", path, std::strerror(errno)));
    std::string line;
    std::getline(f, line);
    std::string token(trim(line));
    if (token.empty())
        return unexpected(fmt::format("--admin-token-file {}: the first line is empty", path));
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0)
        log::warn("--admin-token-file {}: readable by every user (chmod 600 it)", path);
    return token;
}

}  // namespace edge::engine
