// wg-quick configuration files as operators write them: every supported key, keys as `wg`
// prints them, errors naming the line (and never the key), and private keys refused from files
// that group or others can read.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/temp_dir.hpp"
#include "wg/config.hpp"
#include "base/key_base64.hpp"

using namespace edge;
using namespace edge::wg;

namespace {

// Keys printed by `wg genkey` / `wg pubkey` (wireguard-tools), pasted as an operator would.
constexpr const char* k_private = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
constexpr const char* k_peer = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
constexpr const char* k_psk = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";

void write(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string error_of(std::string_view text) {
    auto r = parse_config(text, "wg0.conf");
    REQUIRE_FALSE(r.has_value());
    return r.error().message;
}

}  // namespace

TEST_CASE("a complete wg-quick file parses") {
    const std::string text = std::string("# edge POP\n[Interface]\nPrivateKey = ") + k_private +
                             "\nAddress = 10.9.0.1/24, fd00:9::1/64\nListenPort = 51820\n"
                             "MTU = 1420\nDNS = 1.1.1.1\n\n[Peer]\nPublicKey = " +
                             k_peer + "\nPresharedKey = " + k_psk +
                             "\nEndpoint = 192.0.2.7:51820\nAllowedIPs = 10.9.0.2/32, "
                             "10.10.0.0/16\nAllowedIPs = fd00:9::2/128\nPersistentKeepalive = 25\n"
                             "[Peer]\npublickey=" +
                             k_psk + "\nendpoint = backend.example:51820\r\n";
    auto r = parse_config(text, "wg0.conf");
    REQUIRE(r.has_value());
    CHECK(key_to_base64(r->interface.private_key) == k_private);
    CHECK(r->interface.addresses.size() == 2);
    CHECK(r->interface.listen_port == 51820);
    CHECK(r->interface.mtu == 1420u);
    CHECK(r->ignored == std::vector<std::string>{"wg0.conf:7: DNS"});
    REQUIRE(r->peers.size() == 2);
    const peer_entry& p = r->peers[0];
    CHECK(key_to_base64(p.peer.public_key) == k_peer);
    CHECK(key_to_base64(*p.peer.preshared_key) == k_psk);
    CHECK(to_string(*p.peer.endpoint) == "192.0.2.7:51820");
    REQUIRE(p.peer.allowed_ips.size() == 3);
    CHECK(to_string(p.peer.allowed_ips[2]) == "fd00:9::2/128");
    CHECK(p.peer.persistent_keepalive_s == 25);
    CHECK(p.line == 9);
    CHECK(r->peers[1].endpoint_host == "backend.example:51820");
    CHECK_FALSE(r->peers[1].peer.endpoint.has_value());
}

TEST_CASE("errors name the file and line, and never echo a key") {
    const std::string head = std::string("[Interface]\nPrivateKey = ") + k_private + "\n";
    CHECK(error_of(head + "[Peer]\nPublicKey = " + std::string(k_peer).substr(1) + "\n") ==
          "wg0.conf:4: PublicKey is not a 44-character base64 key");
    CHECK(error_of(head + "ListenPort = 70000\n") ==
          "wg0.conf:3: ListenPort is not a port number: 70000");
    CHECK(error_of(head + "[Peer]\nPublicKey = " + k_peer + "\nAllowedIPs = 10.0.0.0/40\n") ==
          "wg0.conf:5: AllowedIPs: not an IP prefix: 10.0.0.0/40");
    CHECK(error_of(head + "Colour = blue\n") == "wg0.conf:3: unknown [Interface] key Colour");
    CHECK(error_of(head + "[Peer]\nEndpoint = 192.0.2.1:1\n") ==
          "wg0.conf:3: [Peer] has no PublicKey");
    CHECK(error_of("[Interface]\nListenPort = 1\n") ==
          "wg0.conf: [Interface] has no PrivateKey or PrivateKeyFile");
    CHECK(error_of(head + "[Peer]\nPublicKey = " + k_peer + "\nEndpoint = nowhere\n") ==
          "wg0.conf:5: Endpoint must be host:port: nowhere");
    CHECK(error_of(head + "[Peers]\n") == "wg0.conf:3: unknown section [Peers]");
    const std::string bad_private = error_of("[Interface]\nPrivateKey = abc\n");
    CHECK(bad_private == "wg0.conf:2: PrivateKey is not a 44-character base64 key");
}

TEST_CASE("a private key file readable by group or others is refused, naming the file") {
    edge::test::temp_dir dir;
    const std::string key_file = dir.file("private.key");
    write(key_file, std::string(k_private) + "\n", 0600);
    const std::string text = "[Interface]\nPrivateKeyFile = " + key_file + "\n";
    auto ok = parse_config(text, "wg0.conf");
    REQUIRE(ok.has_value());
    CHECK(key_to_base64(ok->interface.private_key) == k_private);

    REQUIRE(::chmod(key_file.c_str(), 0640) == 0);
    auto bad = parse_config(text, "wg0.conf");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message == "wg0.conf:2: private key file " + key_file +
                                     " is readable by group or others (mode 0640); chmod 600 it");

    // An inline PrivateKey in a world-readable config file: the same rule.
    const std::string conf = dir.file("wg0.conf");
    write(conf, std::string("[Interface]\n\nPrivateKey = ") + k_private + "\n", 0644);
    auto inline_bad = load_config(conf);
    REQUIRE_FALSE(inline_bad.has_value());
    CHECK(inline_bad.error().message.find(
              conf + ":3: PrivateKey in a file readable by group or others (mode 0644)") == 0);
    CHECK(inline_bad.error().message.find(k_private) == std::string::npos);
    REQUIRE(::chmod(conf.c_str(), 0600) == 0);
    CHECK(load_config(conf).has_value());
}
