// Interop with the real wireguard-go (Debian's package) at the protocol level. The test process
// moves into a network namespace of its own (gone with the process; skipped, exit 77, where one
// cannot be made or the tools are missing), starts wireguard-go there on a TUN interface with a
// tunnel address, and plays the other peer itself: a UDP socket on loopback feeds wg::tunnel,
// and ICMP echo requests built here go to wireguard-go's tunnel address; the namespace's kernel
// answers them through wireguard-go, and the replies come back through wg/. Each side initiates
// once; a rekey is forced with a shortened Rekey-After-Time on our side. Every wait is bounded;
// wireguard-go is stopped by its PID.
#define CATCH_CONFIG_RUNNER
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>

#include "base/unique_fd.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "base/key_base64.hpp"
#include "wg/tunnel.hpp"

using namespace edge;
using namespace edge::wg;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::uint8_t k_their_ip[4] = {10, 77, 0, 1};  // wireguard-go's tunnel address
constexpr std::uint8_t k_our_ip[4] = {10, 77, 0, 2};

time_ns monotonic_now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return time_ns(std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
}

std::int64_t unix_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2)
        sum += std::uint32_t(p[i]) << 8 | p[i + 1];
    if (n % 2 == 1) sum += std::uint32_t(p[n - 1]) << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return std::uint16_t(~sum);
}

// An ICMP echo request from our tunnel address to wireguard-go's, with correct checksums (the
// receiving kernel checks both).
bytes echo_request(std::uint16_t id, std::uint16_t seq) {
    bytes p(20 + 8 + 32);
    p[0] = 0x45;
    p[2] = std::uint8_t(p.size() >> 8);
    p[3] = std::uint8_t(p.size());
    p[8] = 64;
    p[9] = 1;  // ICMP
    std::memcpy(&p[12], k_our_ip, 4);
    std::memcpy(&p[16], k_their_ip, 4);
    const std::uint16_t ip_sum = checksum(p.data(), 20);
    p[10] = std::uint8_t(ip_sum >> 8);
    p[11] = std::uint8_t(ip_sum);
    std::uint8_t* icmp = p.data() + 20;
    icmp[0] = 8;
    icmp[4] = std::uint8_t(id >> 8);
    icmp[5] = std::uint8_t(id);
    icmp[6] = std::uint8_t(seq >> 8);
    icmp[7] = std::uint8_t(seq);
    for (int i = 0; i < 32; ++i)
        icmp[8 + i] = std::uint8_t('a' + i % 26);
    const std::uint16_t sum = checksum(icmp, 40);
    icmp[2] = std::uint8_t(sum >> 8);
    icmp[3] = std::uint8_t(sum);
    return p;
}

bool is_echo_reply(std::span<const std::uint8_t> p, std::uint16_t id, std::uint16_t seq) {
    return p.size() >= 28 && p[0] >> 4 == 4 && p[9] == 1 &&
           std::memcmp(&p[12], k_their_ip, 4) == 0 && std::memcmp(&p[16], k_our_ip, 4) == 0 &&
           p[20] == 0 && (std::uint16_t(p[24]) << 8 | p[25]) == id &&
           (std::uint16_t(p[26]) << 8 | p[27]) == seq;
}

key fixed_key(std::uint8_t fill) {
    key k{};
    k.fill(fill);
    k[0] &= 248;
    k[31] = std::uint8_t((k[31] & 127) | 64);
    return k;
}

std::uint16_t bound_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

std::string run_or_fail(const std::vector<std::string>& argv) {
    auto [status, out] = edge::test::run_command(argv, 10000ms);
    INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << ": " << out);
    REQUIRE(status == 0);
    return out;
}

// wireguard-go on a TUN interface of its own, configured with wg(8) and ip(8).
class wireguard_go {
  public:
    wireguard_go(const std::string& name, const key& private_key, const key& our_public,
                 std::optional<std::uint16_t> our_port, int persistent_keepalive)
        : name_(name) {
        const std::string key_file = dir_.file("private.key");
        std::ofstream(key_file) << key_to_base64(private_key) << "\n";
        edge::test::spawn_options o;
        o.log_path = dir_.file("wireguard-go.log");
        // Debian's wireguard-go refuses to run where the kernel has WireGuard unless told so.
        o.env = {{"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1"}, {"LOG_LEVEL", "debug"}};
        proc_ = std::make_unique<edge::test::child_process>(
            std::vector<std::string>{"wireguard-go", "-f", name}, o);
        // Bounded wait for the interface and its UAPI socket.
        bool up = false;
        for (int i = 0; i < 100 && !up; ++i) {
            std::this_thread::sleep_for(50ms);
            up = edge::test::run_command({"wg", "show", name}, 2000ms).first == 0;
        }
        INFO(proc_->output());
        REQUIRE(up);
        std::vector<std::string> set = {"wg",          "set",         name,
                                        "private-key", key_file,      "listen-port",
                                        "0",           "peer",        key_to_base64(our_public),
                                        "allowed-ips", "10.77.0.2/32"};
        if (our_port) {
            set.insert(set.end(), {"endpoint", "127.0.0.1:" + std::to_string(*our_port)});
        }
        if (persistent_keepalive > 0)
            set.insert(set.end(), {"persistent-keepalive", std::to_string(persistent_keepalive)});
        run_or_fail(set);
        run_or_fail({"ip", "address", "add", "10.77.0.1/24", "dev", name});
        run_or_fail({"ip", "link", "set", name, "up"});
        const std::string port = run_or_fail({"wg", "show", name, "listen-port"});
        port_ = std::uint16_t(std::stoi(port));
    }
    ~wireguard_go() {
        proc_->signal(SIGTERM);
        if (!proc_->wait_exit(3000ms)) proc_->signal(SIGKILL);
        ::unlink(("/var/run/wireguard/" + name_ + ".sock").c_str());
    }
    std::uint16_t port() const { return port_; }
    std::string log() const { return proc_->output(); }

  private:
    edge::test::temp_dir dir_;
    std::string name_;
    std::unique_ptr<edge::test::child_process> proc_;
    std::uint16_t port_ = 0;
};

// The test's own peer: a UDP socket on loopback driving a wg::tunnel with the real clock.
class driver {
  public:
    explicit driver(protocol_limits limits = {}) {
        fd_ = unique_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        REQUIRE(fd_);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        tunnel_options o;
        o.private_key = fixed_key(0x42);
        for (std::size_t i = 0; i < 32; ++i)
            o.random_seed[i] = std::uint8_t(unix_now_ns() >> (i % 8));
        o.unix_ns_at_start = unix_now_ns();
        o.monotonic_at_start = monotonic_now();
        o.limits = limits;
        tunnel_ = std::make_unique<tunnel>(o);
    }

    std::uint16_t port() const { return bound_port(fd_.get()); }
    tunnel& t() { return *tunnel_; }

    void add_peer(const key& public_key, std::uint16_t port) {
        peer_config c;
        c.public_key = public_key;
        c.endpoint = *parse_socket_address("127.0.0.1:" + std::to_string(port));
        c.allowed_ips.push_back(*ip_prefix::parse("10.77.0.0/24"));
        auto id = tunnel_->add_peer(c);
        REQUIRE(id.has_value());
        peer_ = *id;
    }
    peer_id peer() const { return peer_; }

    void emit(const packet_result& r) {
        if (r.what != action::to_network) return;
        ::sendto(fd_.get(), r.packet.data(), r.packet.size(), 0, r.endpoint.data(), r.endpoint.len);
    }

    /// Runs the loop (receive, timers, drain) until `done` says so or `limit` passes.
    template <class Done>
    bool run_until(Done done, std::chrono::milliseconds limit = 5000ms) {
        const time_ns end = monotonic_now() + limit;
        bytes in(2048);
        while (monotonic_now() < end) {
            const time_ns now = monotonic_now();
            for (packet_result r; (r = tunnel_->tick(now, out_)).what == action::to_network;)
                emit(r);
            const time_ns deadline = std::min(tunnel_->next_deadline(now), end);
            const int wait_ms =
                int(std::clamp<std::int64_t>((deadline - now).count() / 1'000'000, 1, 100));
            pollfd p{fd_.get(), POLLIN, 0};
            if (::poll(&p, 1, wait_ms) <= 0) continue;
            sockaddr_storage from{};
            socklen_t len = sizeof from;
            const ssize_t n = ::recvfrom(fd_.get(), in.data(), in.size(), 0,
                                         reinterpret_cast<sockaddr*>(&from), &len);
            if (n < 0) continue;
            packet_result r = tunnel_->receive(
                std::span(in.data(), std::size_t(n)),
                socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&from), len),
                monotonic_now(), out_);
            emit(r);
            if (r.what == action::to_tun && done(r.packet)) return true;
            while (tunnel_->pending() > 0)
                emit(tunnel_->drain(monotonic_now(), out_));
            if (done(std::span<std::uint8_t>{})) return true;
        }
        return false;
    }

    /// Sends one echo request through the tunnel and waits for its reply.
    bool ping(std::uint16_t seq) {
        bytes req = echo_request(0x4242, seq);
        emit(tunnel_->send(req, monotonic_now(), out_));
        return run_until(
            [seq](std::span<const std::uint8_t> p) { return is_echo_reply(p, 0x4242, seq); });
    }

  private:
    unique_fd fd_;
    std::unique_ptr<tunnel> tunnel_;
    peer_id peer_ = no_peer;
    bytes out_ = bytes(2048);
};

std::string interface_name(const char* tag) {
    return std::string("wgi") + tag + std::to_string(::getpid() % 100000);
}

}  // namespace

TEST_CASE("we initiate: handshake with wireguard-go and an echo answered through it") {
    driver us;
    wireguard_go them(interface_name("a"), fixed_key(0x24), us.t().identity().public_key,
                      std::nullopt, 0);
    us.add_peer(local_identity::from_private(fixed_key(0x24)).public_key, them.port());
    INFO(them.log());
    CHECK(us.ping(1));
    CHECK(us.ping(2));
    CHECK(us.t().get_peer(us.peer())->stats.handshakes == 1);
    CHECK(us.t().get_peer(us.peer())->keypairs.current()->is_initiator());
}

TEST_CASE("wireguard-go initiates: we answer, and the echo comes back on its keypair") {
    driver us;
    const key their_key = fixed_key(0x25);
    us.add_peer(local_identity::from_private(their_key).public_key, 1);  // port fixed below
    wireguard_go them(interface_name("b"), their_key, us.t().identity().public_key, us.port(), 1);
    // Our idea of their endpoint is wrong until their initiation arrives (roaming corrects it).
    INFO(them.log());
    const bool handshook = us.run_until([&](std::span<const std::uint8_t>) {
        const peer* p = us.t().get_peer(us.peer());
        return p->keypairs.current() != nullptr;  // confirmed by their keepalive
    });
    REQUIRE(handshook);
    CHECK_FALSE(us.t().get_peer(us.peer())->keypairs.current()->is_initiator());
    CHECK(us.t().get_peer(us.peer())->endpoint->port() == them.port());
    CHECK(us.ping(7));
}

TEST_CASE("a rekey forced by a short Rekey-After-Time keeps the tunnel working") {
    protocol_limits short_rekey;
    short_rekey.rekey_after_time = 2s;
    driver us(short_rekey);
    wireguard_go them(interface_name("c"), fixed_key(0x26), us.t().identity().public_key,
                      std::nullopt, 0);
    us.add_peer(local_identity::from_private(fixed_key(0x26)).public_key, them.port());
    INFO(them.log());
    REQUIRE(us.ping(1));
    const auto first = us.t().sessions_of(us.peer()).current;
    us.run_until([](std::span<const std::uint8_t>) { return false; }, 2500ms);
    // The next send finds the keypair due for a rekey; the initiation goes on the next tick.
    CHECK(us.ping(2));
    CHECK(us.run_until([&](std::span<const std::uint8_t>) {
        return us.t().get_peer(us.peer())->stats.handshakes == 2;
    }));
    CHECK(us.t().sessions_of(us.peer()).current != first);
    CHECK(us.ping(3));
}

int main(int argc, char** argv) {
    for (const char* tool : {"wireguard-go", "wg", "ip"}) {
        if (edge::test::run_command({"sh", "-c", std::string("command -v ") + tool}, 5000ms)
                .first != 0) {
            std::printf("SKIP: %s is not installed (tools/install_deps test)\n", tool);
            return 77;
        }
    }
    if (::unshare(CLONE_NEWNET) != 0) {
        std::printf("SKIP: cannot create a network namespace: %s\n", std::strerror(errno));
        return 77;
    }
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) {
        std::printf("SKIP: /dev/net/tun is not usable: %s\n", std::strerror(errno));
        return 77;
    }
    auto [status, output] = edge::test::run_command({"ip", "link", "set", "lo", "up"});
    if (status != 0) {
        std::printf("SKIP: cannot bring up loopback in the namespace: %s\n", output.c_str());
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
