#include "base/base64.hpp"

namespace edge {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int value_of(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

std::string base64_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        auto v = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16 |
                 static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8 |
                 static_cast<unsigned char>(in[i + 2]);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
        if (i + 1 < in.size())
            v |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += i + 1 < in.size() ? alphabet[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
    if (in.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(in.size() / 4 * 3);
    for (std::size_t i = 0; i < in.size(); i += 4) {
        int a = value_of(in[i]), b = value_of(in[i + 1]);
        bool last = i + 4 == in.size();
        int c = last && in[i + 2] == '=' ? -2 : value_of(in[i + 2]);
        int d = last && in[i + 3] == '=' ? -2 : value_of(in[i + 3]);
        if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2)) return std::nullopt;
        unsigned v = static_cast<unsigned>(a) << 18 | static_cast<unsigned>(b) << 12 |
                     (c >= 0 ? static_cast<unsigned>(c) << 6 : 0) |
                     (d >= 0 ? static_cast<unsigned>(d) : 0);
        out += static_cast<char>(v >> 16 & 0xff);
        if (c >= 0) out += static_cast<char>(v >> 8 & 0xff);
        if (d >= 0) out += static_cast<char>(v & 0xff);
    }
    return out;
}

}  // namespace edge
