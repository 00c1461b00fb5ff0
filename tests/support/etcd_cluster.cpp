#include "tests/support/etcd_cluster.hpp"

#include "tests/support/proxy.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <thread>

#include "base/unique_fd.hpp"
#include "tests/support/sockets.hpp"

namespace edge::test {

namespace {

// A loopback port nothing listens on now (the kernel's next ephemeral pick).
std::uint16_t free_port() {
    unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

bool in_path(const std::string& name) {
    return run_command({"sh", "-c", "command -v " + name}, 5000ms).first == 0;
}

}  // namespace

bool etcd_available() {
    return in_path("etcd") && in_path("etcdctl");
}

etcd_cluster::etcd_cluster(const temp_dir& dir, int members, std::optional<etcd_tls> tls)
    : tls_(std::move(tls)) {
    for (int i = 0; i < members; ++i) {
        member m;
        m.name = fmt::format("m{}", i);
        m.data_dir = dir.file("etcd-" + m.name);
        m.log = dir.file("etcd-" + m.name + ".log");
        m.client_port = free_port();
        m.peer_port = free_port();
        initial_cluster_ +=
            fmt::format("{}{}=http://127.0.0.1:{}", i ? "," : "", m.name, m.peer_port);
        members_.push_back(std::move(m));
    }
    for (int i = 0; i < members; ++i)
        start(i);
    if (!wait_healthy())
        throw std::runtime_error("etcd cluster did not become healthy:\n" +
                                 members_[0].proc->output());
}

etcd_cluster::~etcd_cluster() {
    for (int i = 0; i < size(); ++i)
        if (running(i)) stop(i);
}

std::vector<std::string> etcd_cluster::argv_of(const member& m) const {
    std::string scheme = tls_ ? "https" : "http";
    std::string client = fmt::format("{}://127.0.0.1:{}", scheme, m.client_port);
    std::vector<std::string> a = {
        "etcd", "--name", m.name, "--data-dir", m.data_dir, "--listen-client-urls", client,
        "--advertise-client-urls", client, "--listen-peer-urls",
        fmt::format("http://127.0.0.1:{}", m.peer_port), "--initial-advertise-peer-urls",
        fmt::format("http://127.0.0.1:{}", m.peer_port), "--initial-cluster", initial_cluster_,
        "--initial-cluster-state", "new", "--initial-cluster-token", "edge-test",
        // Fast elections on loopback, and progress notifications every second so that a sync's
        // staleness is confirmed often.
        "--heartbeat-interval", "50", "--election-timeout", "500",
        "--experimental-watch-progress-notify-interval", "1s", "--logger", "zap", "--log-outputs",
        "stderr", "--log-level", "warn"};
    if (tls_) {
        a.insert(a.end(), {"--cert-file", tls_->cert_file, "--key-file", tls_->key_file});
    }
    return a;
}

std::string etcd_cluster::endpoint(int i) const {
    return fmt::format("{}://127.0.0.1:{}", tls_ ? "https" : "http",
                       members_[static_cast<std::size_t>(i)].client_port);
}

std::string etcd_cluster::endpoints() const {
    std::string out;
    for (int i = 0; i < size(); ++i)
        out += (i ? "," : "") + endpoint(i);
    return out;
}

void etcd_cluster::start(int i) {
    member& m = members_[static_cast<std::size_t>(i)];
    spawn_options o;
    o.log_path = m.log;
    m.proc = std::make_unique<child_process>(argv_of(m), o);
}

void etcd_cluster::stop(int i, bool graceful) {
    member& m = members_[static_cast<std::size_t>(i)];
    if (!m.proc) return;
    m.proc->signal(graceful ? SIGTERM : SIGKILL);
    m.proc->wait_exit(10000ms);
    m.proc.reset();
}

bool etcd_cluster::running(int i) const {
    const member& m = members_[static_cast<std::size_t>(i)];
    return m.proc && m.proc->running();
}

std::pair<int, std::string> etcd_cluster::etcdctl(const std::vector<std::string>& args) const {
    std::string live;
    for (int i = 0; i < size(); ++i)
        if (running(i)) live += (live.empty() ? "" : ",") + endpoint(i);
    std::vector<std::string> argv = {"etcdctl",
                                     "--endpoints",
                                     live.empty() ? endpoints() : live,
                                     "--command-timeout",
                                     "3s",
                                     "--dial-timeout",
                                     "1s"};
    if (tls_) argv.insert(argv.end(), {"--cacert", tls_->ca_file});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 15000ms);
}

bool etcd_cluster::wait_healthy(std::chrono::milliseconds limit) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (etcdctl({"get", "/health-probe"}).first == 0) return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

std::optional<nlohmann::json> etcd_cluster::status_of(int i) const {
    std::vector<std::string> argv = {"etcdctl", "--endpoints", endpoint(i), "endpoint",
                                     "status",  "-w",          "json"};
    if (tls_) argv.insert(argv.end(), {"--cacert", tls_->ca_file});
    auto [rc, out] = run_command(argv, 5000ms);
    if (rc != 0 || out.find('[') == std::string::npos) return std::nullopt;
    auto j = nlohmann::json::parse(out.substr(out.find('[')), nullptr, false);
    if (j.is_discarded() || j.empty()) return std::nullopt;
    return j[0]["Status"];
}

int etcd_cluster::leader() const {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        for (int i = 0; i < size(); ++i) {
            if (!running(i)) continue;
            auto st = status_of(i);
            if (st && (*st)["leader"] != 0 && (*st)["leader"] == (*st)["header"]["member_id"])
                return i;
        }
        std::this_thread::sleep_for(100ms);
    }
    return -1;
}

std::int64_t etcd_cluster::revision() const {
    // A linearizable read first, so that the member asked has applied everything committed.
    if (etcdctl({"get", "/health-probe"}).first != 0) return 0;
    for (int i = 0; i < size(); ++i) {
        if (!running(i)) continue;
        if (auto st = status_of(i)) return (*st)["header"].value("revision", std::int64_t{0});
    }
    return 0;
}

std::pair<int, std::string> edgectl_etcd(const etcd_cluster& etcd, std::vector<std::string> args,
                                         const std::vector<std::string>& extra) {
    args.insert(args.begin(), edgectl_bin());
    args.insert(args.end(), {"--etcd", etcd.endpoints()});
    args.insert(args.end(), extra.begin(), extra.end());
    return run_command(args, 30000ms);
}

// ---- sync_process ----

sync_process::sync_process(const temp_dir& dir, const std::string& name,
                           const std::string& endpoints, const std::string& db_path,
                           const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {edgectl_bin(), "sync",  "--etcd",   endpoints,
                                     "--db",        db_path, "--status", "127.0.0.1:0",
                                     "--log-level", "info"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    spawn_options o;
    o.log_path = dir.file(name + ".log");
    proc_ = std::make_unique<child_process>(argv, o);
    auto out = proc_->wait_for_output("status on port ", 10000ms);
    if (!out) throw std::runtime_error("edgectl sync did not start:\n" + proc_->output());
    std::smatch m;
    if (!std::regex_search(*out, m, std::regex("status on port ([0-9]+)")))
        throw std::runtime_error("no status port in:\n" + *out);
    status_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
}

sync_process::~sync_process() {
    stop();
}

std::optional<int> sync_process::stop() {
    if (!proc_->running()) return proc_->wait_exit(100ms);
    proc_->signal(SIGTERM);
    return proc_->wait_exit(10000ms);
}

void sync_process::kill() {
    proc_->signal(SIGKILL);
    proc_->wait_exit(10000ms);
}

std::string sync_process::http(const std::string& path, int* status) const {
    return http_get(status_port_, path, status);
}

std::optional<double> sync_process::metric(const std::string& series) const {
    return metric_value(http("/metrics"), series);
}

}  // namespace edge::test
