#include "engine/host/listen_conflict.hpp"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "base/unique_fd.hpp"

namespace edge::engine {

namespace {

// Socket inodes of TCP sockets listening on `port`, from /proc/net/tcp{,6} (this network
// namespace; columns: sl local_address rem_address st ... uid timeout inode).
std::vector<std::string> listening_inodes(std::uint16_t port) {
    std::vector<std::string> out;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream f(table);
        std::string line;
        std::getline(f, line);  // header
        while (std::getline(f, line)) {
            char local[64], remote[64], state[8];
            unsigned long inode = 0;
            int n = std::sscanf(line.c_str(), "%*s %63s %63s %7s %*s %*s %*s %*s %*s %lu", local,
                                remote, state, &inode);
            if (n != 4 || std::string_view(state) != "0A") continue;  // 0A: TCP_LISTEN
            std::string_view l(local);
            auto colon = l.rfind(':');
            if (colon == std::string_view::npos) continue;
            unsigned p = 0;
            if (std::sscanf(std::string(l.substr(colon + 1)).c_str(), "%x", &p) != 1) continue;
            if (p == port) out.push_back(fmt::format("socket:[{}]", inode));
        }
    }
    return out;
}

std::string process_name(const std::string& pid) {
    std::ifstream f("/proc/" + pid + "/comm");
    std::string name;
    std::getline(f, name);
    return name;
}

}  // namespace

std::string listener_holder(const socket_address& addr) {
    std::vector<std::string> inodes = listening_inodes(addr.port());
    if (inodes.empty()) return "";
    const std::string self = std::to_string(::getpid());
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return "";
    std::string found;
    while (dirent* d = ::readdir(proc)) {
        std::string pid = d->d_name;
        if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
        if (pid == self) continue;
        std::string fd_dir = "/proc/" + pid + "/fd";
        DIR* fds = ::opendir(fd_dir.c_str());
        if (fds == nullptr) continue;  // another user's process
        while (dirent* e = ::readdir(fds)) {
            char target[64];
            std::string link = fd_dir + "/" + e->d_name;
            ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
            if (n <= 0) continue;
            std::string_view t(target, static_cast<std::size_t>(n));
            for (const std::string& inode : inodes)
                if (t == inode) found = fmt::format("pid {}, {}", pid, process_name(pid));
            if (!found.empty()) break;
        }
        ::closedir(fds);
        if (!found.empty()) break;
    }
    ::closedir(proc);
    return found;
}

result<void, std::string> check_address_free(const socket_address& addr, const char* what) {
    auto fd = unique_fd::from_syscall(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return {};
    int one = 1;
    // SO_REUSEADDR so that connections of an earlier run in TIME_WAIT do not count; no
    // SO_REUSEPORT, so that a listener of any process on the address does.
    (void)setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (addr.family() == AF_INET6)
        (void)setsockopt(fd->get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (::bind(fd->get(), addr.data(), addr.len) == 0 || errno != EADDRINUSE) return {};
    fd->reset();
    std::string holder = listener_holder(addr);
    return unexpected(fmt::format(
        "{} {}: another process already listens there{}. Two instances on one address would "
        "silently share its clients (SO_REUSEPORT), so this one does not start. To replace a "
        "running edgeproxy without dropping a connection run `edgectl restart`, or start the "
        "new one with --takeover PATH (the 'control socket' of the running one's log); to "
        "share the address on purpose, add --share-listeners",
        what, to_string(addr), holder.empty() ? "" : " (" + holder + ")"));
}

}  // namespace edge::engine
