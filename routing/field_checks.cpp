#include "routing/field_checks.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"

namespace edge::routing {

std::string shown(const db_value& v) {
    std::string s = v.as_text();
    if (s.size() > 64) s = s.substr(0, 61) + "...";
    s = edge::escape_control(s);
    return v.t == db_value::type::text ? fmt::format("'{}'", s) : s;
}

result<std::int64_t, std::string> need_integer(const db_value& v, std::string_view name,
                                               std::int64_t lo, std::int64_t hi) {
    if (v.is_null()) return unexpected(fmt::format("{} is NULL", name));
    auto n = v.as_integer();
    if (!n) return unexpected(fmt::format("{} {} is not an integer", name, shown(v)));
    if (*n < lo) {
        if (lo == 0) return unexpected(fmt::format("{} {} is negative", name, *n));
        return unexpected(fmt::format("{} {} is outside {}-{}", name, *n, lo, hi));
    }
    if (*n > hi) {
        if (lo == 0) return unexpected(fmt::format("{} {} is larger than {}", name, *n, hi));
        return unexpected(fmt::format("{} {} is outside {}-{}", name, *n, lo, hi));
    }
    return *n;
}

result<std::optional<std::int64_t>, std::string> optional_integer(const db_value& v,
                                                                  std::string_view name,
                                                                  std::int64_t lo,
                                                                  std::int64_t hi) {
    if (v.is_null()) return std::optional<std::int64_t>{};
    auto n = need_integer(v, name, lo, hi);
    if (!n) return unexpected(n.error());
    return std::optional<std::int64_t>(*n);
}

result<std::string, std::string> need_text(const db_value& v, std::string_view name,
                                           bool nullable) {
    switch (v.t) {
        case db_value::type::null:
            if (nullable) return std::string();
            return unexpected(fmt::format("{} is NULL", name));
        case db_value::type::blob:
            return unexpected(fmt::format("{} {} is not text", name, shown(v)));
        default:
            break;
    }
    std::string s = v.as_text();
    if (auto at = edge::find_control_char(s); at != std::string::npos)
        return unexpected(fmt::format("{} {} contains a control character ({})", name, shown(v),
                                      edge::control_char_name(s[at])));
    return s;
}

result<std::string, std::string> decode_escapes(std::string_view text, std::string_view name) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i == text.size()) return unexpected(fmt::format("{} ends in a lone backslash", name));
        switch (text[i]) {
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case '0':
                out += '\0';
                break;
            case '\\':
                out += '\\';
                break;
            case 'x': {
                int h = i + 2 < text.size() ? hex(text[i + 1]) : -1;
                int l = i + 2 < text.size() ? hex(text[i + 2]) : -1;
                if (h < 0 || l < 0)
                    return unexpected(fmt::format("{}: \\x needs two hex digits", name));
                out += static_cast<char>(h * 16 + l);
                i += 2;
                break;
            }
            default:
                return unexpected(
                    fmt::format("{}: unknown escape \\{} (known: \\n \\r \\t \\0 "
                                "\\\\ \\xHH)",
                                name, edge::escape_control(text.substr(i, 1))));
        }
    }
    return out;
}

std::string encode_escapes(std::string_view bytes) {
    std::string out;
    for (char c : bytes) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (u < 0x20 || u >= 0x7f)
            out += fmt::format("\\x{:02x}", u);
        else
            out += c;
    }
    return out;
}

}  // namespace edge::routing
