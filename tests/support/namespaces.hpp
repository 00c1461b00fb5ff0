#pragma once
// Namespaces for tests that change what the host must not see changed: a network namespace of the
// test's own (sysctls such as tcp_migrate_req, addresses, a fake resolver on 127.0.0.1:53) and,
// when asked, a mount namespace (a resolv.conf bound over /etc/resolv.conf). Where they cannot be
// made (not root, a container without the capability) the test exits 77 (meson: SKIP).

#include <string>

namespace edge::test {

/// Moves this process into a new network namespace with loopback up (and into a new mount
/// namespace with private mounts when `with_mounts`). False with `why` set when it cannot; the
/// caller prints it and exits 77. From main(), before any thread starts.
bool enter_own_network(std::string& why, bool with_mounts = false);

/// Sets net.ipv4.tcp_migrate_req in this network namespace.
void set_tcp_migrate_req(bool on);

}  // namespace edge::test
