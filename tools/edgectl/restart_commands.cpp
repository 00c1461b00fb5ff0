// edgectl restart | pid: talk to a running edgeproxy over its control socket
// (base/control_protocol.hpp). `restart` asks it to start its successor — the binary at the path
// it was started from, or --binary, with its own flags, or those after `--` — which loads and
// checks everything, takes the listening sockets over and starts accepting, while the old one
// drains and exits. It waits for the outcome: exit 0 when the successor serves, 1 when it failed
// (the running instance then serves on, untouched). This is what the systemd unit's ExecReload
// runs.

#include <fmt/core.h>
#include <sys/stat.h>

#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>

#include "base/control_protocol.hpp"
#include "tools/edgectl/commands.hpp"

namespace edge::edgectl {
namespace {

namespace cp = control_protocol;

// The control socket: --control, else the first default directory holding one.
std::string find_socket(const std::optional<std::string>& given) {
    if (given) return *given;
    for (const std::string& dir : cp::default_directories()) {
        std::string path = dir + "/" + cp::socket_name;
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return path;
    }
    throw std::runtime_error(
        "no control socket found in the default places (is edgeproxy running? give --control "
        "PATH, as in its --control flag or its 'control socket' log line)");
}

unique_fd connect_to(const std::string& path) {
    auto fd = cp::connect(path);
    if (!fd)
        throw std::runtime_error(
            fmt::format("cannot reach edgeproxy at {}: {}", path, error_text(fd.error())));
    return std::move(*fd);
}

cp::message expect(int fd, int timeout_ms, const std::string& path) {
    auto m = cp::receive(fd, timeout_ms);
    if (!m)
        throw std::runtime_error(fmt::format("no answer from {}: {}", path, error_text(m.error())));
    return std::move(*m);
}

int parse_seconds(const std::string& v) {
    int s = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
    if (ec != std::errc() || (p != v.data() + v.size() && std::string_view(p) != "s") || s <= 0)
        throw std::runtime_error("--timeout: want seconds, e.g. 120 or 120s");
    return s;
}

}  // namespace

const char* restart_usage() {
    return "  restart [--control PATH] [--binary PATH] [--timeout SECONDS] [-- FLAG...]\n"
           "                           start a new edgeproxy that takes the running one's "
           "listeners\n"
           "                           over (same flags, or FLAGs); 0 once it serves, 1 if it "
           "failed\n"
           "  pid [--control PATH]     pid, version and state of the edgeproxy serving the "
           "control\n"
           "                           socket (it changes with every restart)";
}

int run_restart(const std::string& command, const args& a) {
    std::optional<std::string> control, binary;
    int timeout_s = 150;
    std::vector<std::string> flags;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto value = [&]() -> std::string {
            if (i + 1 >= a.size()) throw std::runtime_error(a[i] + " needs a value");
            return a[++i];
        };
        if (a[i] == "--control") {
            control = value();
        } else if (a[i] == "--binary" && command == "restart") {
            binary = value();
        } else if (a[i] == "--timeout" && command == "restart") {
            timeout_s = parse_seconds(value());
        } else if (a[i] == "--" && command == "restart") {
            flags.assign(a.begin() + static_cast<std::ptrdiff_t>(i) + 1, a.end());
            break;
        } else {
            fmt::print(stderr, "edgectl {}: unknown argument '{}'\nusage:\n{}\n", command, a[i],
                       restart_usage());
            return 2;
        }
    }
    std::string path = find_socket(control);
    unique_fd fd = connect_to(path);
    if (command == "pid") {
        const std::string req[] = {"status"};
        if (auto ok = cp::send(fd.get(), req); !ok)
            throw std::runtime_error(fmt::format("{}: {}", path, error_text(ok.error())));
        cp::message m = expect(fd.get(), 5000, path);
        fmt::print("pid {} version {} {}\n", m.field(1), m.field(2), m.field(3));
        return 0;
    }
    std::vector<std::string> req = {"restart", binary.value_or("")};
    if (!flags.empty()) {
        // The successor's argv[0] is the binary (filled in by the proxy); the flags follow.
        req.push_back("edgeproxy");
        req.insert(req.end(), flags.begin(), flags.end());
    }
    if (auto ok = cp::send(fd.get(), req); !ok)
        throw std::runtime_error(fmt::format("{}: {}", path, error_text(ok.error())));
    cp::message m = expect(fd.get(), 5000, path);
    if (m.field(0) == "spawned") {
        fmt::print("restart: pid {} started; waiting for it to take over\n", m.field(1));
        std::fflush(stdout);
        m = expect(fd.get(), timeout_s * 1000, path);
    }
    if (m.field(0) == "ok") {
        fmt::print("restart: pid {} serves now; the old instance drains and exits\n", m.field(1));
        return 0;
    }
    if (m.field(0) == "failed") {
        fmt::print(stderr, "restart failed: {}; the running instance keeps serving\n", m.field(2));
        return 1;
    }
    fmt::print(stderr, "restart: unexpected answer '{}'\n", m.field(0));
    return 1;
}

}  // namespace edge::edgectl
