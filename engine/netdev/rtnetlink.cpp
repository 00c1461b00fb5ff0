#include "engine/netdev/rtnetlink.hpp"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace edge::engine {

namespace {

// One request: a netlink header, the family's fixed message, then attributes, in one buffer.
struct message {
    alignas(NLMSG_ALIGNTO) unsigned char buf[512]{};
    std::size_t len = 0;

    nlmsghdr* header() noexcept { return reinterpret_cast<nlmsghdr*>(buf); }
    template <class T>
    T* start(std::uint16_t type, std::uint16_t flags) noexcept {
        len = NLMSG_LENGTH(sizeof(T));
        header()->nlmsg_type = type;
        header()->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
        return reinterpret_cast<T*>(NLMSG_DATA(header()));
    }
    void attr(std::uint16_t type, const void* data, std::size_t n) noexcept {
        std::size_t at = NLMSG_ALIGN(len);
        auto* a = reinterpret_cast<rtattr*>(buf + at);
        a->rta_type = type;
        a->rta_len = static_cast<unsigned short>(RTA_LENGTH(n));
        std::memcpy(RTA_DATA(a), data, n);
        len = at + RTA_ALIGN(a->rta_len);
    }
    void finish() noexcept { header()->nlmsg_len = static_cast<std::uint32_t>(len); }
};

}  // namespace

result<rtnetlink> rtnetlink::open() noexcept {
    auto fd = unique_fd::from_syscall(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd) return unexpected(fd.error());
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(fd->get(), reinterpret_cast<sockaddr*>(&local), sizeof local) < 0)
        return errno_error();
    rtnetlink n;
    n.fd_ = std::move(*fd);
    return n;
}

result<void> rtnetlink::request(void* msg, std::size_t len) noexcept {
    auto* h = static_cast<nlmsghdr*>(msg);
    h->nlmsg_seq = seq_++;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd_.get(), msg, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
        return errno_error();
    // The acknowledgement: an NLMSG_ERROR carrying 0 or a negated errno.
    alignas(NLMSG_ALIGNTO) unsigned char reply[4096];
    for (;;) {
        ssize_t n = ::recv(fd_.get(), reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error();
        }
        for (auto* r = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(r, static_cast<unsigned>(n));
             r = NLMSG_NEXT(r, n)) {
            if (r->nlmsg_seq != h->nlmsg_seq) continue;
            if (r->nlmsg_type == NLMSG_ERROR) {
                auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(r));
                if (e->error == 0) return {};
                return unexpected(std::errc(-e->error));
            }
        }
    }
}

result<unsigned> rtnetlink::ifindex(const std::string& name) noexcept {
    unsigned i = if_nametoindex(name.c_str());
    if (i == 0) return errno_error();
    return i;
}

result<void> rtnetlink::set_link(unsigned ifindex, bool up, unsigned mtu) noexcept {
    message m;
    auto* ifi = m.start<ifinfomsg>(RTM_NEWLINK, 0);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = static_cast<int>(ifindex);
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
    if (mtu != 0) m.attr(IFLA_MTU, &mtu, sizeof mtu);
    m.finish();
    return request(m.buf, m.len);
}

result<void> rtnetlink::add_address(unsigned ifindex, const socket_address& local,
                                    std::uint8_t length) noexcept {
    message m;
    auto* ifa = m.start<ifaddrmsg>(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
    const bool v6 = local.family() == AF_INET6;
    ifa->ifa_family = static_cast<unsigned char>(v6 ? AF_INET6 : AF_INET);
    ifa->ifa_prefixlen = length;
    ifa->ifa_index = ifindex;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    // A tunnel has no neighbours to ask: an IPv6 address that waited for duplicate address
    // detection would stay tentative (unusable) for a second or more.
    ifa->ifa_flags = v6 ? IFA_F_NODAD : 0;
    const void* a = v6 ? static_cast<const void*>(&local.addr.v6.sin6_addr)
                       : static_cast<const void*>(&local.addr.v4.sin_addr);
    std::size_t n = v6 ? 16 : 4;
    m.attr(IFA_LOCAL, a, n);
    m.attr(IFA_ADDRESS, a, n);
    m.finish();
    return request(m.buf, m.len);
}

result<void> rtnetlink::route(bool add, unsigned ifindex, const ip_prefix& dest) noexcept {
    message m;
    auto* rt =
        m.start<rtmsg>(add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
    rt->rtm_family = static_cast<unsigned char>(dest.is_v6 ? AF_INET6 : AF_INET);
    rt->rtm_dst_len = dest.length;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_STATIC;
    rt->rtm_scope = RT_SCOPE_LINK;
    rt->rtm_type = RTN_UNICAST;
    if (dest.length > 0) m.attr(RTA_DST, dest.bytes.data(), dest.is_v6 ? 16 : 4);
    std::uint32_t oif = ifindex;
    m.attr(RTA_OIF, &oif, sizeof oif);
    m.finish();
    return request(m.buf, m.len);
}

result<void> rtnetlink::add_route(unsigned ifindex, const ip_prefix& dest) noexcept {
    return route(true, ifindex, dest);
}

result<void> rtnetlink::del_route(unsigned ifindex, const ip_prefix& dest) noexcept {
    return route(false, ifindex, dest);
}

}  // namespace edge::engine
