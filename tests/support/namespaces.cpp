#include "tests/support/namespaces.hpp"

#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "tests/support/process.hpp"

namespace edge::test {

bool enter_own_network(std::string& why, bool with_mounts) {
    int flags = CLONE_NEWNET | (with_mounts ? CLONE_NEWNS : 0);
    if (::unshare(flags) != 0) {
        why = std::string("cannot create a ") + (with_mounts ? "mount and network" : "network") +
              " namespace: " + std::strerror(errno);
        return false;
    }
    if (with_mounts && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        why = std::string("cannot make mounts private: ") + std::strerror(errno);
        return false;
    }
    auto [status, output] = run_command({"ip", "link", "set", "lo", "up"});
    if (status != 0) {
        why = "cannot bring up loopback in the namespace: " + output;
        return false;
    }
    return true;
}

void set_tcp_migrate_req(bool on) {
    std::ofstream("/proc/sys/net/ipv4/tcp_migrate_req") << (on ? "1\n" : "0\n");
}

}  // namespace edge::test
