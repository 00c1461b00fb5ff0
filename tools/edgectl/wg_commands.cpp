// edgectl wg genkey | pubkey: WireGuard keys in the format of wireguard-tools' `wg genkey` and
// `wg pubkey` (44 characters of standard base64 and a newline, base/key_base64), so keys move
// freely between the two. genkey prints a clamped random private key; pubkey reads a private key
// on stdin (trailing whitespace allowed, as wg allows it) and prints X25519(key, 9).

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

#include "base/key_base64.hpp"
#include "base/nearest_word.hpp"
#include "tools/edgectl/commands.hpp"
#include "wg/crypto/secret.hpp"
#include "wg/crypto/x25519.hpp"

namespace edge::edgectl {
namespace {

namespace crypto = edge::wg::crypto;
using key = edge::key_bytes;

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
    std::string in(key_base64_length, '\0');
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
    if (!a.empty() && a[0] == "peer") return run_routing("wg peer", a);
    if (!a.empty() && a[0] == "show") return run_wg_show(a);
    if (!a.empty() && a[0] != "genkey" && a[0] != "pubkey")
        fmt::print(stderr, "edgectl wg: unknown command '{}'{}\n", a[0],
                   did_you_mean(a[0], {"genkey", "pubkey", "peer", "show"}));
    fmt::print(stderr,
               "usage: edgectl wg genkey | edgectl wg pubkey < private.key | edgectl wg show | "
               "edgectl wg peer ...\n");
    return 2;
}

const char* wg_usage() {
    return R"usage(  wg genkey | pubkey             (WireGuard keys)
  wg peer add DB PUBLIC_KEY [--endpoint HOST:PORT] [--allowed-ips 10.1.0.0/24,fd00::/64]
              [--keepalive SECONDS] [--preshared-key-file FILE] [--no-resolve]
                                 add or replace a peer of the proxy's tunnel (wg_peers)
  wg peer remove DB PUBLIC_KEY   remove it
  wg peer list DB                the peers (a preshared key shows as "(set)", never its value)
                                 (every wg peer command takes --etcd ENDPOINTS in place of DB)
  wg show [--admin ADDR] [--token-file PATH] [--json]
                                 the running proxy's tunnel as wg show prints it (GET /wg))usage";
}

}  // namespace edge::edgectl
