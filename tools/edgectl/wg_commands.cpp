// edgectl wg genkey | pubkey: WireGuard keys in the format of wireguard-tools' `wg genkey` and
// `wg pubkey` (44 characters of standard base64 and a newline), so keys move freely between the
// two. genkey prints a clamped random private key; pubkey reads a private key on stdin (trailing
// whitespace allowed, as wg allows it) and prints X25519(key, 9). Base64 here is branch-free and
// table-free, as in wireguard-tools, because it handles private keys.

#include <fmt/core.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "base/nearest_word.hpp"
#include "tools/edgectl/commands.hpp"
#include "wg/crypto/secret.hpp"
#include "wg/crypto/x25519.hpp"

namespace edge::edgectl {
namespace {

namespace crypto = edge::wg::crypto;
using key = std::array<std::uint8_t, 32>;
constexpr std::size_t k_base64_len = 44;  // 32 bytes: 10 full groups and one "xxx="

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

std::string key_to_base64(const key& k) {
    std::string s(k_base64_len, '=');
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

// Accepts exactly the canonical 44-character encoding, like wireguard-tools' key_from_base64.
std::optional<key> key_from_base64(const std::string& s) {
    if (s.size() != k_base64_len || s[43] != '=') return std::nullopt;
    key k{};
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
        crypto::secure_wipe(std::span(k));
        return std::nullopt;
    }
    return k;
}

int genkey() {
    key k{};
    for (std::size_t got = 0; got < k.size();) {
        ssize_t n = getrandom(k.data() + got, k.size() - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(fmt::format("getrandom: {}", std::strerror(errno)));
        }
        got += std::size_t(n);
    }
    crypto::x25519_clamp(k);
    struct stat st {};
    if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO) != 0)
        fmt::print(stderr,
                   "Warning: writing to world accessible file.\n"
                   "Consider setting the umask to 077 and trying again.\n");
    std::string b64 = key_to_base64(k);
    crypto::secure_wipe(std::span(k));
    fmt::print("{}\n", b64);
    crypto::secure_wipe(b64.data(), b64.size());
    return 0;
}

int pubkey() {
    std::string in(k_base64_len, '\0');
    if (std::fread(in.data(), 1, in.size(), stdin) != in.size()) {
        fmt::print(stderr, "edgectl wg pubkey: Key is not the correct length or format\n");
        return 1;
    }
    for (int c; (c = std::getc(stdin)) != EOF;) {
        if (c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
            continue;
        fmt::print(stderr, "edgectl wg pubkey: Trailing characters found after key\n");
        crypto::secure_wipe(in.data(), in.size());
        return 1;
    }
    std::optional<key> priv = key_from_base64(in);
    crypto::secure_wipe(in.data(), in.size());
    if (!priv) {
        fmt::print(stderr, "edgectl wg pubkey: Key is not the correct length or format\n");
        return 1;
    }
    key pub{};
    crypto::x25519_public_key(pub, *priv);
    crypto::secure_wipe(std::span(*priv));
    fmt::print("{}\n", key_to_base64(pub));
    return 0;
}

}  // namespace

int run_wg(const args& a) {
    if (a.size() == 1 && a[0] == "genkey") return genkey();
    if (a.size() == 1 && a[0] == "pubkey") return pubkey();
    if (!a.empty() && a[0] != "genkey" && a[0] != "pubkey")
        fmt::print(stderr, "edgectl wg: unknown command '{}'{}\n", a[0],
                   did_you_mean(a[0], {"genkey", "pubkey"}));
    fmt::print(stderr, "usage: edgectl wg genkey | edgectl wg pubkey < private.key\n");
    return 2;
}

const char* wg_usage() {
    return "  wg genkey | pubkey             (WireGuard keys)";
}

}  // namespace edge::edgectl
