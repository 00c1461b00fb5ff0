#pragma once
// Network namespaces for tests that cross a network: the test process moves itself into a fresh
// namespace of its own (enter_own_netns), then creates named ones for the hosts it needs (netns),
// linked to its own by veth pairs. Every namespace and process goes with the test: named
// namespaces are deleted by their destructor, the test's own with the process. Root only; where
// namespaces cannot be made, enter_own_netns says why and the test exits 77 (SKIP).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace edge::test {

/// Moves the calling process into a new network namespace with loopback up; nullopt on success,
/// else why not (for a SKIP message). Call first thing in main(), before any thread starts.
std::optional<std::string> enter_own_netns();

/// Runs a command to completion and throws (with its output) unless it exits 0.
std::string run_ok(const std::vector<std::string>& argv);

/// A named network namespace (ip netns add), deleted at scope end.
class netns {
  public:
    /// `name` is made unique per process (the pid is appended).
    explicit netns(const std::string& name);
    ~netns();
    netns(const netns&) = delete;
    netns& operator=(const netns&) = delete;

    const std::string& name() const noexcept { return name_; }
    /// `argv` prefixed to run inside the namespace.
    std::vector<std::string> in(std::vector<std::string> argv) const;
    /// Links this namespace to the caller's with a veth pair: `outer_cidr` on the caller's end,
    /// `inner_cidr` on ours (e.g. "10.200.0.1/24", "10.200.0.2/24"); more pairs of addresses
    /// may follow (IPv6).
    void link(const std::vector<std::pair<std::string, std::string>>& outer_inner);

  private:
    std::string name_;
    std::string outer_if_;
};

/// A WireGuard key pair, made by wg(8).
struct wg_keys {
    std::string private_key;
    std::string public_key;
    static wg_keys generate();
};

/// wireguard-go (Debian's) on interface `ifname` inside `ns`, configured with wg(8) and ip(8).
/// Its control socket (/var/run/wireguard/IFNAME.sock) is in the file system every namespace
/// shares, so the interface is named after the namespace unless `ifname` is given.
struct wireguard_go_options {
    std::string ifname;  // empty: "w" + the namespace's name
    wg_keys keys;
    std::uint16_t listen_port = 51820;
    std::vector<std::string> addresses;  // "10.99.0.2/24", "fd99::2/64"
    std::string peer_public_key;
    std::string peer_endpoint;     // "10.200.0.1:51821"; empty: learnt
    std::string peer_allowed_ips;  // "10.99.0.1/32,fd99::1/128"
    std::string preshared_key;     // base64; empty: none
    int persistent_keepalive = 0;
};

class wireguard_go {
  public:
    wireguard_go(const netns& ns, const temp_dir& dir, wireguard_go_options o);
    ~wireguard_go();
    /// Stops it (SIGTERM, then SIGKILL) and starts a new one with the same configuration.
    void restart();
    std::string log() const;

  private:
    void start();
    void stop();

    const netns& ns_;
    const temp_dir& dir_;
    wireguard_go_options o_;
    std::unique_ptr<child_process> proc_;
    int starts_ = 0;
};

}  // namespace edge::test
