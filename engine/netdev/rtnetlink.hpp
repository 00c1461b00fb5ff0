#pragma once
// rtnetlink: configuring a network interface the way `ip link/addr/route` does, without running
// `ip`: bring a link up with an MTU, give it addresses, route prefixes through it. Each call is
// one request on a NETLINK_ROUTE socket and waits for the kernel's acknowledgement (immediate:
// no network is involved). Needs CAP_NET_ADMIN. Start-up, the control thread's loader, exit.

#include <cstdint>
#include <string>

#include "base/ip_prefix.hpp"
#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

class rtnetlink {
  public:
    /// Opens the NETLINK_ROUTE socket.
    static result<rtnetlink> open() noexcept;

    /// The index of interface `name`; ENODEV when it does not exist.
    result<unsigned> ifindex(const std::string& name) noexcept;
    /// Sets the link up (or down) with `mtu` (0: leave it).
    result<void> set_link(unsigned ifindex, bool up, unsigned mtu) noexcept;
    /// Adds (or replaces) the address `local` with prefix length `length` on the interface;
    /// IPv6 addresses skip duplicate address detection (a tunnel has no neighbours to ask).
    result<void> add_address(unsigned ifindex, const socket_address& local,
                             std::uint8_t length) noexcept;
    /// Routes `dest` through the interface (main table, link scope); replaces a route to the
    /// same prefix.
    result<void> add_route(unsigned ifindex, const ip_prefix& dest) noexcept;
    /// Removes that route; ESRCH when it was not there.
    result<void> del_route(unsigned ifindex, const ip_prefix& dest) noexcept;

  private:
    rtnetlink() = default;
    result<void> request(void* msg, std::size_t len) noexcept;
    result<void> route(bool add, unsigned ifindex, const ip_prefix& dest) noexcept;

    unique_fd fd_;
    std::uint32_t seq_ = 1;
};

}  // namespace edge::engine
