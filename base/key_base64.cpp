#include "base/key_base64.hpp"

#include <string.h>  // explicit_bzero

namespace edge {

namespace {

// One 6-bit value to its base64 character, with arithmetic masks instead of a table.
char encode6(int a) {
    return char(a + 'A' + (((25 - a) >> 8) & 6) - (((51 - a) >> 8) & 75) - (((61 - a) >> 8) & 15) +
                (((62 - a) >> 8) & 3));
}

// One base64 character to its value, or -1; no branch depends on the character.
int decode6(char ch) {
    const int c = static_cast<unsigned char>(ch);
    int r = -1;
    r += (((0x40 - c) & (c - 0x5b)) >> 8) & (c - 64);  // 'A'..'Z'
    r += (((0x60 - c) & (c - 0x7b)) >> 8) & (c - 70);  // 'a'..'z'
    r += (((0x2f - c) & (c - 0x3a)) >> 8) & (c + 5);   // '0'..'9'
    r += (((0x2a - c) & (c - 0x2c)) >> 8) & 63;        // '+'
    r += (((0x2e - c) & (c - 0x30)) >> 8) & 64;        // '/'
    return r;
}

}  // namespace

std::string key_to_base64(const key_bytes& k) {
    std::string s(key_base64_length, '=');
    for (std::size_t i = 0; i < 32 / 3; ++i) {
        const unsigned v = unsigned(k[i * 3]) << 16 | unsigned(k[i * 3 + 1]) << 8 | k[i * 3 + 2];
        s[i * 4 + 0] = encode6(int(v >> 18) & 63);
        s[i * 4 + 1] = encode6(int(v >> 12) & 63);
        s[i * 4 + 2] = encode6(int(v >> 6) & 63);
        s[i * 4 + 3] = encode6(int(v) & 63);
    }
    const unsigned v = unsigned(k[30]) << 16 | unsigned(k[31]) << 8;
    s[40] = encode6(int(v >> 18) & 63);
    s[41] = encode6(int(v >> 12) & 63);
    s[42] = encode6(int(v >> 6) & 63);
    return s;
}

std::optional<key_bytes> key_from_base64(std::string_view s) {
    if (s.size() != key_base64_length || s[43] != '=') return std::nullopt;
    key_bytes k{};
    unsigned bad = 0;
    for (std::size_t i = 0; i < 32 / 3; ++i) {
        const int v = (decode6(s[i * 4]) << 18) | (decode6(s[i * 4 + 1]) << 12) |
                      (decode6(s[i * 4 + 2]) << 6) | decode6(s[i * 4 + 3]);
        bad |= unsigned(v) >> 31;
        k[i * 3] = std::uint8_t(v >> 16);
        k[i * 3 + 1] = std::uint8_t(v >> 8);
        k[i * 3 + 2] = std::uint8_t(v);
    }
    const int v =
        (decode6(s[40]) << 18) | (decode6(s[41]) << 12) | (decode6(s[42]) << 6) | decode6('A');
    bad |= (unsigned(v) >> 31) | (unsigned(v) & 0xff);  // the unused low bits must be zero
    k[30] = std::uint8_t(v >> 16);
    k[31] = std::uint8_t(v >> 8);
    if (bad != 0) {
        explicit_bzero(k.data(), k.size());
        return std::nullopt;
    }
    return k;
}

}  // namespace edge
