#include "engine/tunnel_start.hpp"

#include <netdb.h>
#include <sys/random.h>
#include <time.h>

#include <cstring>

#include <fmt/format.h>

#include "base/log.hpp"
#include "engine/netdev/rtnetlink.hpp"
#include "engine/netdev/udp_socket.hpp"
#include "engine/uring/clock.hpp"
#include "wg/config.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::engine {

namespace {

/// An Endpoint given as "host:port": resolved once at start (DNS is fine here, never later).
result<socket_address, std::string> resolve_endpoint(const std::string& host_port) {
    auto colon = host_port.rfind(':');
    if (colon == std::string::npos) return unexpected("Endpoint has no port: " + host_port);
    std::string host = host_port.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), host_port.c_str() + colon + 1, &hints, &res);
    if (rc != 0 || res == nullptr)
        return unexpected(fmt::format("Endpoint {}: {}", host_port, gai_strerror(rc)));
    socket_address a = socket_address::from_sockaddr(res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return a;
}

result<wg::tunnel_config, std::string> read_config(const config& cfg) {
    auto c = wg::load_config(cfg.wg_config);
    if (!c) return unexpected(c.error().message);
    for (const std::string& k : c->ignored)
        log::warn("{}: ignored (wg-quick's own setting; edgeproxy configures the interface itself)",
                  k);
    return std::move(*c);
}

}  // namespace

result<void, std::string> check_tunnel_config(const config& cfg) {
    auto c = read_config(cfg);
    if (!c) return unexpected(c.error());
    return {};
}

result<tunnel_start, std::string> open_tunnel(const config& cfg, unsigned workers) {
    auto c = read_config(cfg);
    if (!c) return unexpected(c.error());
    tunnel_start t;
    t.mtu = c->interface.mtu.value_or(1420);
    if (t.mtu + wg::outbound_headroom + wg::outbound_tailroom > max_tunnel_packet)
        return unexpected(
            fmt::format("{}: MTU {} is above what edgeproxy carries ({})", cfg.wg_config, t.mtu,
                        max_tunnel_packet - wg::outbound_headroom - wg::outbound_tailroom));
    for (wg::peer_entry& p : c->peers) {
        if (!p.endpoint_host.empty()) {
            auto a = resolve_endpoint(p.endpoint_host);
            if (!a) return unexpected(fmt::format("{}:{}: {}", cfg.wg_config, p.line, a.error()));
            p.peer.endpoint = *a;
        }
        t.peers.push_back(p.peer);
    }

    t.addresses = c->interface.addresses;
    auto tun = tun_device::create(cfg.wg_interface, workers, true);
    if (!tun) return unexpected(tun.error());
    t.tun.emplace(std::move(*tun));
    auto nl = rtnetlink::open();
    if (!nl) return unexpected(fmt::format("rtnetlink: {}", error_text(nl.error())));
    auto idx = nl->ifindex(cfg.wg_interface);
    if (!idx) return unexpected(fmt::format("{}: {}", cfg.wg_interface, error_text(idx.error())));
    t.ifindex = *idx;
    for (const wg::interface_address& a : c->interface.addresses)
        if (auto ok = nl->add_address(t.ifindex, a.address, a.length); !ok)
            return unexpected(fmt::format("{}: address {}/{}: {}", cfg.wg_interface,
                                          host_string(a.address), a.length,
                                          error_text(ok.error())));
    if (auto ok = nl->set_link(t.ifindex, true, static_cast<unsigned>(t.mtu)); !ok)
        return unexpected(
            fmt::format("{}: bringing it up: {}", cfg.wg_interface, error_text(ok.error())));

    std::uint16_t port = c->interface.listen_port.value_or(0);
    for (unsigned w = 0; w < workers; ++w) {
        auto fd = open_udp_socket({port, true});
        if (!fd)
            return unexpected(fmt::format("tunnel: UDP port {}: {}", port, error_text(fd.error())));
        if (port == 0) port = bound_port(fd->get()).value_or(0);  // the others share it
        t.udp.push_back(std::move(*fd));
    }
    t.port = port;

    wg::tunnel_options o;
    o.private_key = c->interface.private_key;
    if (getrandom(o.random_seed.data(), o.random_seed.size(), 0) !=
        static_cast<ssize_t>(o.random_seed.size()))
        return unexpected(fmt::format("getrandom: {}", std::strerror(errno)));
    timespec wall{};
    clock_gettime(CLOCK_REALTIME, &wall);
    o.unix_ns_at_start = std::int64_t(wall.tv_sec) * 1000000000 + wall.tv_nsec;
    o.monotonic_at_start = std::chrono::milliseconds(monotonic_coarse_ms());
    o.mtu = t.mtu;
    o.limits.rekey_after_time = cfg.wg_rekey_after;
    t.tunnel = std::make_unique<wg::tunnel>(o);
    wg::crypto::secure_wipe(std::span(o.private_key));
    for (unsigned w = 0; w < workers; ++w) {
        t.channels.push_back(std::make_unique<event_channel<tunnel_event>>(512));
        t.metrics.push_back(std::make_unique<tunnel_metrics>());
    }
    log::info(
        "tunnel {}: {} {} on UDP port {}, MTU {}, {} peers from {}{}", cfg.wg_interface,
        t.tun->tso() ? "TSO" : "no TSO", t.tun->uso() ? "USO" : "no USO", t.port, t.mtu,
        t.peers.size(), cfg.wg_config,
        c->interface.addresses.empty() ? " (no Address: set one for the proxy's own traffic)" : "");
    return t;
}

}  // namespace edge::engine
