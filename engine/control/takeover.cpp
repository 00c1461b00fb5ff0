#include "engine/control/takeover.hpp"

#include <unistd.h>

#include <charconv>

#include <fmt/format.h>

#include "base/control_protocol.hpp"

namespace edge::engine {

namespace cp = control_protocol;

namespace {

template <class T>
bool parse_number(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

result<takeover_client, std::string> takeover_client::start(const std::string& path,
                                                            int timeout_ms) {
    takeover_client c;
    c.path_ = path;
    auto sock = cp::connect(path);
    if (!sock)
        return unexpected(fmt::format(
            "--takeover {}: no running edgeproxy answers there ({}); start without --takeover "
            "if none runs",
            path, error_text(sock.error())));
    c.sock_ = std::move(*sock);
    const std::string hello[] = {"takeover", std::to_string(::getpid()), EDGE_VERSION};
    if (auto ok = cp::send(c.sock_.get(), hello); !ok)
        return unexpected(fmt::format("--takeover {}: {}", path, error_text(ok.error())));
    auto cut_short = [&](const std::string& why) {
        return unexpected(fmt::format(
            "--takeover {}: the handover was cut short ({}); the running instance keeps serving",
            path, why));
    };
    for (;;) {
        auto m = cp::receive(c.sock_.get(), timeout_ms);
        if (!m) return cut_short(error_text(m.error()));
        std::string_view kind = m->field(0);
        if (kind == "refused")
            return unexpected(
                fmt::format("--takeover {}: the running instance refused: {}", path, m->field(1)));
        if (kind == "listeners") {
            std::size_t n = 0;
            if (!parse_number(m->field(1), n) || n != m->fds.size() ||
                m->fields.size() != 2 + 3 * n)
                return cut_short("a malformed listeners message");
            for (std::size_t i = 0; i < n; ++i) {
                inherited_listener l;
                auto configured = parse_socket_address(m->field(2 + 3 * i));
                auto bound = parse_socket_address(m->field(4 + 3 * i));
                if (!configured || !bound || !parse_number(m->field(3 + 3 * i), l.spec))
                    return cut_short("a malformed listener address");
                l.configured = *configured;
                l.bound = *bound;
                l.fd = std::move(m->fds[i]);
                c.got_.listeners.push_back(std::move(l));
            }
        } else if (kind == "admin") {
            auto bound = parse_socket_address(m->field(1));
            if (!bound || m->fds.size() != 1) return cut_short("a malformed admin message");
            c.got_.admin_address = *bound;
            c.got_.admin = std::move(m->fds[0]);
        } else if (kind == "control") {
            if (m->fds.size() != 1) return cut_short("a malformed control message");
            c.got_.control_path = std::string(m->field(1));
            c.got_.control = std::move(m->fds[0]);
        } else if (kind == "bindings") {
            if (m->fds.size() != 1 || !parse_number(m->field(1), c.got_.binding_count))
                return cut_short("a malformed bindings message");
            c.got_.bindings = std::move(m->fds[0]);
        } else if (kind == "end") {
            if (!parse_number(m->field(1), c.got_.old_pid)) return cut_short("a malformed end");
            return c;
        } else {
            return cut_short(fmt::format("an unknown message '{}'", kind));
        }
    }
}

result<void, std::string> takeover_client::ready(int timeout_ms) {
    const std::string msg[] = {"ready", std::to_string(::getpid())};
    if (auto ok = cp::send(sock_.get(), msg); !ok)
        return unexpected(
            fmt::format("telling pid {} we are ready: {}", got_.old_pid, error_text(ok.error())));
    auto m = cp::receive(sock_.get(), timeout_ms);
    if (!m)
        return unexpected(fmt::format("pid {} did not confirm the handover: {}", got_.old_pid,
                                      error_text(m.error())));
    if (m->field(0) != "released")
        return unexpected(
            fmt::format("pid {} answered '{}' instead of confirming", got_.old_pid, m->field(0)));
    return {};
}

}  // namespace edge::engine
