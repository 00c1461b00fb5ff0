#include "tests/support/netns.hpp"

#include "tests/support/namespaces.hpp"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace edge::test {

std::optional<std::string> enter_own_netns() {
    for (const char* tool : {"ip", "wg", "wireguard-go"}) {
        if (run_command({"sh", "-c", std::string("command -v ") + tool}, 5000ms).first != 0)
            return std::string(tool) + " is not installed (tools/install_deps test)";
    }
    if (std::string why; !enter_own_network(why)) return why;
    if (::access("/dev/net/tun", R_OK | W_OK) != 0)
        return std::string("/dev/net/tun is not usable: ") + std::strerror(errno);
    return std::nullopt;
}

std::string run_ok(const std::vector<std::string>& argv) {
    auto [status, output] = run_command(argv, 20000ms);
    if (status != 0) {
        std::string cmd;
        for (const auto& a : argv)
            cmd += a + " ";
        throw std::runtime_error(cmd + "failed (" + std::to_string(status) + "): " + output);
    }
    return output;
}

netns::netns(const std::string& name) : name_(name + std::to_string(::getpid())) {
    (void)run_command({"ip", "netns", "del", name_});  // a leftover of a killed run
    run_ok({"ip", "netns", "add", name_});
    run_ok(in({"ip", "link", "set", "lo", "up"}));
}

netns::~netns() {
    // The veth pair goes with the namespace, but only once the kernel has finished tearing it
    // down (asynchronously): deleted here, so a namespace of the same name can link at once.
    if (!outer_if_.empty()) (void)run_command({"ip", "link", "del", outer_if_});
    (void)run_command({"ip", "netns", "del", name_});
}

std::vector<std::string> netns::in(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
    return argv;
}

void netns::link(const std::vector<std::pair<std::string, std::string>>& outer_inner) {
    // Interface names are at most 15 bytes; the namespace's name (with the pid) keeps it unique.
    outer_if_ = "v" + name_.substr(0, 14);
    const std::string inner_if = "veth0";
    run_ok(
        {"ip", "link", "add", outer_if_, "type", "veth", "peer", "name", inner_if, "netns", name_});
    for (const auto& [outer, inner] : outer_inner) {
        run_ok({"ip", "address", "add", outer, "dev", outer_if_, "nodad"});
        run_ok(in({"ip", "address", "add", inner, "dev", inner_if, "nodad"}));
    }
    run_ok({"ip", "link", "set", outer_if_, "up"});
    run_ok(in({"ip", "link", "set", inner_if, "up"}));
}

wg_keys wg_keys::generate() {
    wg_keys k;
    k.private_key = run_ok({"wg", "genkey"});
    while (!k.private_key.empty() && k.private_key.back() == '\n')
        k.private_key.pop_back();
    auto [status, out] =
        run_command({"sh", "-c", "printf '%s' '" + k.private_key + "' | wg pubkey"}, 5000ms);
    if (status != 0) throw std::runtime_error("wg pubkey: " + out);
    while (!out.empty() && out.back() == '\n')
        out.pop_back();
    k.public_key = out;
    return k;
}

wireguard_go::wireguard_go(const netns& ns, const temp_dir& dir, wireguard_go_options o)
    : ns_(ns), dir_(dir), o_(std::move(o)) {
    if (o_.ifname.empty()) o_.ifname = "w" + ns_.name().substr(0, 14);
    start();
}

wireguard_go::~wireguard_go() {
    stop();
}

void wireguard_go::start() {
    ++starts_;
    spawn_options so;
    so.log_path = dir_.file(ns_.name() + "-wireguard-go-" + std::to_string(starts_) + ".log");
    // Debian's wireguard-go refuses to run where the kernel has WireGuard unless told so.
    so.env = {{"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1"}, {"LOG_LEVEL", "error"}};
    proc_ = std::make_unique<child_process>(ns_.in({"wireguard-go", "-f", o_.ifname}), so);
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
        std::this_thread::sleep_for(50ms);
        up = run_command(ns_.in({"wg", "show", o_.ifname}), 2000ms).first == 0;
    }
    if (!up) throw std::runtime_error("wireguard-go did not come up: " + proc_->output());
    const std::string key_file = dir_.file(ns_.name() + "-wireguard-go.key");
    { std::ofstream(key_file) << o_.keys.private_key << "\n"; }
    std::vector<std::string> set = {"wg",
                                    "set",
                                    o_.ifname,
                                    "private-key",
                                    key_file,
                                    "listen-port",
                                    std::to_string(o_.listen_port)};
    set.insert(set.end(), {"peer", o_.peer_public_key, "allowed-ips", o_.peer_allowed_ips});
    if (!o_.peer_endpoint.empty()) set.insert(set.end(), {"endpoint", o_.peer_endpoint});
    if (o_.persistent_keepalive > 0)
        set.insert(set.end(), {"persistent-keepalive", std::to_string(o_.persistent_keepalive)});
    if (!o_.preshared_key.empty()) {
        const std::string psk_file = dir_.file(ns_.name() + "-wireguard-go.psk");
        std::ofstream(psk_file) << o_.preshared_key << "\n";
        set.insert(set.end(), {"preshared-key", psk_file});
    }
    run_ok(ns_.in(set));
    for (const std::string& a : o_.addresses)
        run_ok(ns_.in({"ip", "address", "add", a, "dev", o_.ifname, "nodad"}));
    run_ok(ns_.in({"ip", "link", "set", o_.ifname, "up"}));
}

void wireguard_go::stop() {
    if (!proc_) return;
    proc_->signal(SIGTERM);
    if (!proc_->wait_exit(3000ms)) proc_->signal(SIGKILL);
    (void)proc_->wait_exit(3000ms);
    proc_.reset();
}

void wireguard_go::restart() {
    stop();
    start();
}

std::string wireguard_go::log() const {
    return proc_ ? proc_->output() : std::string();
}

}  // namespace edge::test
