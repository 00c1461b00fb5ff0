#include "engine/netdev/tun_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cstring>

#include <fmt/format.h>

#include "engine/codec/gso.hpp"

// Offload flags newer than Debian 12's uapi headers (Linux 6.2); values are the kernel ABI.
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

namespace edge::engine {

namespace {

std::string explain(const char* what, const std::string& name, int err) {
    if (err == EPERM || err == EACCES)
        return fmt::format(
            "{} {}: {} (creating a TUN interface needs CAP_NET_ADMIN: run as root, or grant it, "
            "e.g. AmbientCapabilities=CAP_NET_ADMIN in the systemd unit)",
            what, name, std::strerror(err));
    return fmt::format("{} {}: {}", what, name, std::strerror(err));
}

}  // namespace

result<tun_device, std::string> tun_device::create(const std::string& name, unsigned queues,
                                                   bool offload) {
    if (name.empty() || name.size() >= IFNAMSIZ)
        return unexpected(
            fmt::format("interface name '{}': 1 to {} characters", name, IFNAMSIZ - 1));
    tun_device d;
    d.name_ = name;
    d.vnet_ = offload;
    for (unsigned q = 0; q < queues; ++q) {
        auto fd = unique_fd::from_syscall(::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
        if (!fd) return unexpected(explain("cannot open /dev/net/tun for", name, errno));
        ifreq ifr{};
        std::memcpy(ifr.ifr_name, name.data(), name.size());
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
        if (d.vnet_) ifr.ifr_flags |= IFF_VNET_HDR;
        if (::ioctl(fd->get(), TUNSETIFF, &ifr) < 0)
            return unexpected(explain("cannot create TUN interface", name, errno));
        if (d.vnet_) {
            int hdr = static_cast<int>(vnet_header::size);
            if (::ioctl(fd->get(), TUNSETVNETHDRSZ, &hdr) < 0)
                return unexpected(explain("TUNSETVNETHDRSZ on", name, errno));
            // Ask for the most first; a kernel without USO (before 6.2) refuses the whole set.
            unsigned want[] = {
                TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6,
                TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
                TUN_F_CSUM,
            };
            bool set = false;
            for (unsigned flags : want) {
                if (::ioctl(fd->get(), TUNSETOFFLOAD, flags) == 0) {
                    d.tso_ = flags & TUN_F_TSO4;
                    d.uso_ = flags & TUN_F_USO4;
                    set = true;
                    break;
                }
            }
            if (!set) return unexpected(explain("TUNSETOFFLOAD on", name, errno));
        }
        d.queues_.push_back(std::move(*fd));
    }
    return d;
}

}  // namespace edge::engine
