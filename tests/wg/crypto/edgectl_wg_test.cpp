// `edgectl wg genkey` and `edgectl wg pubkey` against wireguard-tools' `wg genkey`/`wg pubkey`:
// the same output bytes for the same input (random unclamped keys included, since wg clamps
// inside), keys from either generator accepted by the other, and the same inputs refused. Runs
// the real binaries through the shell. Exits 77 (skip) when `wg` or edgectl is missing.

#define CATCH_CONFIG_RUNNER
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/wg/crypto/test_support.hpp"
#include "wg/crypto/x25519.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;

namespace {

std::string g_edgectl;

struct run_result {
    int status;
    std::string out;
};

// Runs `printf '%s' INPUT | PROGRAM ARGS` and returns its exit status and stdout. Inputs are
// base64 text (no single quotes), so single-quoting is enough.
run_result run(const std::string& input, const std::string& program) {
    std::string cmd = "printf '%s' '" + input + "' | " + program + " 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr)
        out += buf;
    int st = pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string base64(const bytes& b) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string s;
    std::size_t i = 0;
    for (; i + 3 <= b.size(); i += 3) {
        unsigned v = unsigned(b[i]) << 16 | unsigned(b[i + 1]) << 8 | b[i + 2];
        for (int k = 3; k >= 0; --k)
            s += t[(v >> (6 * k)) & 63];
    }
    if (b.size() - i == 2) {
        unsigned v = unsigned(b[i]) << 16 | unsigned(b[i + 1]) << 8;
        s += t[(v >> 18) & 63];
        s += t[(v >> 12) & 63];
        s += t[(v >> 6) & 63];
        s += '=';
    }
    return s;
}

}  // namespace

TEST_CASE("edgectl wg pubkey prints what wg pubkey prints", "[edgectl-wg]") {
    byte_source src(21);
    for (int i = 0; i < 25; ++i) {
        bytes priv = src.take(32);  // unclamped on purpose
        std::string in = base64(priv) + (i % 2 == 0 ? "\n" : "");
        run_result ours = run(in, g_edgectl + " wg pubkey");
        run_result theirs = run(in, "wg pubkey");
        INFO("key " << in);
        CHECK(ours.status == 0);
        CHECK(theirs.status == 0);
        CHECK(ours.out == theirs.out);
        std::array<std::uint8_t, 32> k{}, pub{};
        std::copy(priv.begin(), priv.end(), k.begin());
        x25519_public_key(pub, k);
        CHECK(ours.out == base64(bytes(pub.begin(), pub.end())) + "\n");
    }
}

TEST_CASE("keys from either genkey work in both pubkeys", "[edgectl-wg]") {
    for (int i = 0; i < 5; ++i) {
        run_result ours = run("", g_edgectl + " wg genkey");
        run_result theirs = run("", "wg genkey");
        REQUIRE(ours.status == 0);
        REQUIRE(ours.out.size() == 45);
        CHECK(ours.out.back() == '\n');
        CHECK(ours.out[43] == '=');
        CHECK(ours.out != theirs.out);
        for (const auto& key : {ours.out, theirs.out}) {
            run_result a = run(key, g_edgectl + " wg pubkey");
            run_result b = run(key, "wg pubkey");
            CHECK(a.status == 0);
            CHECK(a.out == b.out);
        }
    }
}

TEST_CASE("edgectl wg pubkey refuses what wg pubkey refuses", "[edgectl-wg]") {
    const std::string good = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    const std::string inputs[] = {
        "",
        "short",
        good.substr(0, 43) + "A",                        // no padding
        good.substr(0, 42) + "l=",                       // non-canonical last character
        good + " x",                                     // trailing garbage
        "*Anz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=",  // not base64
    };
    CHECK(run(good, "wg pubkey").status == 0);
    CHECK(run(good, g_edgectl + " wg pubkey").out == run(good, "wg pubkey").out);
    for (const auto& in : inputs) {
        INFO("input '" << in << "'");
        run_result theirs = run(in, "wg pubkey");
        run_result ours = run(in, g_edgectl + " wg pubkey");
        CHECK(theirs.status != 0);
        CHECK(ours.status == theirs.status);
        CHECK(ours.out.empty());
    }
}

int main(int argc, char** argv) {
    const char* bin = std::getenv("EDGECTL_BIN");
    if (bin == nullptr || *bin == '\0') {
        std::printf("SKIP: EDGECTL_BIN is not set\n");
        return 77;
    }
    if (std::system("command -v wg >/dev/null 2>&1") != 0) {
        std::printf("SKIP: wg (wireguard-tools) is not installed\n");
        return 77;
    }
    g_edgectl = std::string("'") + bin + "'";
    return Catch::Session().run(argc, argv);
}
