#include "base/strings.hpp"

#include <fmt/format.h>

namespace edge {

std::string escape_control(std::string_view s) {
    if (find_control_char(s) == std::string_view::npos) return std::string(s);
    std::string out;
    out.reserve(s.size() + 8);
    for (char c : s) {
        if (!is_control_char(c)) {
            out += c;
            continue;
        }
        switch (c) {
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        }
    }
    return out;
}

std::string control_char_name(char c) {
    switch (c) {
        case '\n':
            return "newline";
        case '\r':
            return "carriage return";
        case '\t':
            return "tab";
        default:
            return fmt::format("0x{:02x}", static_cast<unsigned char>(c));
    }
}

}  // namespace edge
