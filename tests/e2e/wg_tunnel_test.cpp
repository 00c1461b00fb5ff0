// The proxy's own WireGuard backhaul against the real wireguard-go (Debian's): the proxy in the
// test's namespace with its tunnel (--wg-config), a backend host in a namespace of its own behind
// a veth, running wireguard-go and an echo server on its tunnel address. Clients reach the
// backend through the proxy and the tunnel; routing.db only names the backend's tunnel address.
// Also: the backend host initiating (its ping reaches the proxy's tunnel address), IPv6 tunnel
// addresses, a rekey under traffic, wireguard-go restarted, a preshared-key mismatch, and the
// same with edgeproxy's tunnel-only mode on the backend host instead of wireguard-go.
// Root and network namespaces needed: exits 77 (SKIP) with the reason where they are not.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/echo_load.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

constexpr std::uint16_t backend_port = 9000;

void write_private(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
}

// A wg-quick file for one side of the tunnel.
std::string wg_quick(const wg_keys& own, const std::string& addresses, std::uint16_t port,
                     const std::string& peer_public, const std::string& endpoint,
                     const std::string& allowed, const std::string& psk = "") {
    std::string s = "[Interface]\nPrivateKey = " + own.private_key + "\nAddress = " + addresses +
                    "\nListenPort = " + std::to_string(port) +
                    "\n\n[Peer]\nPublicKey = " + peer_public + "\nAllowedIPs = " + allowed + "\n";
    if (!endpoint.empty()) s += "Endpoint = " + endpoint + "\n";
    if (!psk.empty()) s += "PresharedKey = " + psk + "\n";
    return s;
}

enum class far_end { wireguard_go, edgeproxy };

struct options {
    far_end peer = far_end::wireguard_go;
    bool peer_knows_us = false;  // the backend host has our endpoint (it can initiate)
    int peer_keepalive = 0;
    bool psk_mismatch = false;
    std::vector<std::string> proxy_args;
};

// The proxy, the backend host and the tunnel between them.
struct tunnel_pair {
    temp_dir dir;
    netns host{"ewgb"};
    wg_keys pop_keys = wg_keys::generate();
    wg_keys host_keys = wg_keys::generate();
    std::unique_ptr<wireguard_go> wgo;
    std::unique_ptr<child_process> host_tunnel;  // edgeproxy in tunnel-only mode
    std::unique_ptr<child_process> echo;
    std::unique_ptr<proxy_process> proxy;

    explicit tunnel_pair(const options& o) {
        host.link({{"10.200.0.1/24", "10.200.0.2/24"}});
        std::string psk_pop, psk_host;
        if (o.psk_mismatch) {
            psk_pop = wg_keys::generate().private_key;  // any 32 random bytes
            psk_host = wg_keys::generate().private_key;
        }
        if (o.peer == far_end::wireguard_go) {
            wireguard_go_options w;
            w.keys = host_keys;
            w.addresses = {"10.99.0.2/24", "fd99::2/64"};
            w.peer_public_key = pop_keys.public_key;
            w.peer_allowed_ips = "10.99.0.1/32,fd99::1/128";
            if (o.peer_knows_us) w.peer_endpoint = "10.200.0.1:51821";
            w.persistent_keepalive = o.peer_keepalive;
            w.preshared_key = psk_host;
            wgo = std::make_unique<wireguard_go>(host, dir, w);
        } else {
            write_private(dir.file("host.conf"),
                          wg_quick(host_keys, "10.99.0.2/24, fd99::2/64", 51820,
                                   pop_keys.public_key, o.peer_knows_us ? "10.200.0.1:51821" : "",
                                   "10.99.0.1/32, fd99::1/128", psk_host));
            spawn_options so;
            so.log_path = dir.file("host-edgeproxy.log");
            host_tunnel = std::make_unique<child_process>(
                host.in({edgeproxy_bin(), "--wg-config", dir.file("host.conf"), "--metrics",
                         "127.0.0.1:9098", "--cores", "1", "--db", dir.file("none.db")}),
                so);
            REQUIRE(host_tunnel->wait_for_output("serving", 10s));
        }
        spawn_options es;
        es.log_path = dir.file("echo.log");
        echo = std::make_unique<child_process>(
            host.in({edge_load_bin(), "serve", "--listen", "0.0.0.0:9000", "--listen", "[::]:9000",
                     "--mode", "echo", "--no-progress"}),
            es);
        REQUIRE(echo->wait_for_output("listening", 10s));
        write_private(dir.file("pop.conf"),
                      wg_quick(pop_keys, "10.99.0.1/24, fd99::1/64", 51821, host_keys.public_key,
                               "10.200.0.2:51820", "10.99.0.2/32, fd99::2/128", psk_pop));
        write_routing_db(dir.file("routing.db"), {{"host-v4", backend_port, "eu", "", "10.99.0.2"},
                                                  {"host-v6", backend_port, "us", "", "fd99::2"}});
        proxy_options po{dir.file("routing.db"), 2};
        po.args = {"--wg-config", dir.file("pop.conf"), "--region", "eu"};
        po.args.insert(po.args.end(), o.proxy_args.begin(), o.proxy_args.end());
        proxy = std::make_unique<proxy_process>(dir, po);
    }

    std::string logs() const {
        std::string s = proxy->output();
        if (wgo) s += "\n--- wireguard-go\n" + wgo->log();
        if (host_tunnel) s += "\n--- backend host's edgeproxy\n" + host_tunnel->output();
        return s;
    }
};

bool ping(const std::vector<std::string>& prefix, const std::string& address) {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), {"ping", "-c", "2", "-W", "2", address});
    return run_command(argv, 10000ms).first == 0;
}

}  // namespace

TEST_CASE("1,000 connections through the proxy and the tunnel come back byte for byte") {
    tunnel_pair t({});
    echo_load_result r = echo_load(t.proxy->port(), 1000, 16, 77);
    INFO(t.logs());
    CHECK(r.bad == 0);
    CHECK(r.ok == 1000);
    CHECK(t.proxy->metric("edge_wg_peers") == 1);
    CHECK(t.proxy->metric("edge_backend_connections_total{backend=\"host-v4\"}") == 1000);
    CHECK(t.proxy->metric("edge_wg_rejections_total{reason=\"decrypt_failed\"}") == 0);
    // The proxy initiated (the backend host had no endpoint for it).
    auto wg = t.proxy->http_get("/wg");
    CHECK_THAT(wg, Catch::Contains(t.host_keys.public_key));
    CHECK_THAT(wg, Catch::Contains("\"handshakes\":1"));
    // The active health checks reach the backend through the tunnel too (the kernel's route
    // to the TUN interface): the first passes within an interval (2 s) plus jitter.
    const std::string passed =
        "edge_backend_health_checks_total{backend=\"host-v4\",result=\"passed\"}";
    for (int i = 0; i < 60 && t.proxy->metric(passed).value_or(0) < 1; ++i)
        std::this_thread::sleep_for(100ms);
    CHECK(t.proxy->metric(passed).value_or(0) >= 1);
    CHECK(t.proxy->metric("edge_backend_in_service{backend=\"host-v4\"}") == 1);
    // /status carries the same live view of the tunnel.
    auto status = t.proxy->http_get("/status");
    CHECK_THAT(status,
               Catch::Contains("\"wireguard\":{\"enabled\":true,\"interface\":\"edge-wg0\""));
    CHECK_THAT(status, Catch::Contains(t.host_keys.public_key));
}

TEST_CASE("the backend host initiates: its ping reaches the proxy's tunnel address") {
    tunnel_pair t({far_end::wireguard_go, true});
    INFO(t.logs());
    CHECK(ping(t.host.in({}), "10.99.0.1"));
    CHECK(ping(t.host.in({}), "fd99::1"));
    // The keypair it made carries the proxy's clients too.
    CHECK(echo_round_trip(t.proxy->port(), random_bytes(200000, 3)));
    CHECK(ping({}, "10.99.0.2"));
}

TEST_CASE("IPv6 tunnel addresses: a backend at fd99::2 behind the tunnel") {
    tunnel_pair t({});
    // Only the IPv6 backend: the IPv4 one is disabled.
    exec_sql(t.dir.file("routing.db"), "UPDATE backends SET healthy = 0 WHERE id = 'host-v4'");
    for (int i = 0; i < 50 && t.proxy->metric("edge_routing_backends{state=\"healthy\"}") != 1; ++i)
        std::this_thread::sleep_for(100ms);
    echo_load_result r = echo_load(t.proxy->port(), 200, 8, 78);
    INFO(t.logs());
    CHECK(r.bad == 0);
    CHECK(t.proxy->metric("edge_backend_connections_total{backend=\"host-v6\"}") == 200);
}

TEST_CASE("kept-alive connections exchanging small requests through the tunnel never stall") {
    // 16 connections, each a request and its echo at a time, 2,000 a second for 3 s: every
    // packet of a flow waits for the one before, so one lost TUN wake-up stalls them all (it did
    // with several reads armed on the TUN queue).
    for (far_end peer : {far_end::wireguard_go, far_end::edgeproxy}) {
        tunnel_pair t({peer});
        auto [rc, out] =
            run_command({edge_load_bin(), "rr", "127.0.0.1:" + std::to_string(t.proxy->port()),
                         "--connections", "16", "--rate", "2k/s", "--duration", "3s", "--send",
                         "64", "--timeout", "2s", "--no-progress"},
                        30000ms);
        INFO(out);
        INFO(t.logs());
        CHECK(rc == 0);
        CHECK_THAT(out, Catch::Contains("failed 0"));
    }
}

TEST_CASE("keys rotate under traffic (--wg-rekey-after 2s) and no exchange fails") {
    tunnel_pair t({far_end::wireguard_go, false, 0, false, {"--wg-rekey-after", "2s"}});
    int ok = 0, bad = 0;
    auto until = std::chrono::steady_clock::now() + 7s;
    while (std::chrono::steady_clock::now() < until) {
        (echo_round_trip(t.proxy->port(), random_bytes(50000, std::uint64_t(ok + bad))) ? ok
                                                                                        : bad)++;
        std::this_thread::sleep_for(20ms);
    }
    INFO(t.logs());
    CHECK(bad == 0);
    CHECK(ok > 50);
    auto wg = t.proxy->http_get("/wg");
    // Several handshakes: the first, then one every two seconds of traffic.
    CHECK_THAT(wg, !Catch::Contains("\"handshakes\":1,"));
    CHECK(t.proxy->metric("edge_wg_rejections_total{reason=\"expired_keys\"}") == 0);
}

TEST_CASE("wireguard-go restarted mid-run: connections after it recover") {
    tunnel_pair t({far_end::wireguard_go, true, 2});
    REQUIRE(echo_round_trip(t.proxy->port(), random_bytes(100000, 1)));
    t.wgo->restart();
    // The new wireguard-go knows none of the old keys; its keepalive starts a handshake at once.
    bool recovered = false;
    for (int i = 0; i < 40 && !recovered; ++i) {
        recovered = echo_round_trip(t.proxy->port(), random_bytes(100000, 2 + std::uint64_t(i)));
        if (!recovered) std::this_thread::sleep_for(250ms);
    }
    INFO(t.logs());
    CHECK(recovered);
    for (int i = 0; i < 20; ++i)
        CHECK(echo_round_trip(t.proxy->port(), random_bytes(30000, 100 + std::uint64_t(i))));
}

TEST_CASE("a preshared-key mismatch fails cleanly: no session, connects fail over, no crash") {
    tunnel_pair t({far_end::wireguard_go, false, 0, true, {"--connect-timeout", "500ms"}});
    unique_fd fd = connect_tcp(t.proxy->port());
    REQUIRE(fd);
    REQUIRE(send_all(fd.get(), std::string("hello")));
    // Both backends sit behind the broken tunnel: every attempt times out, the client is closed.
    CHECK(wait_closed(fd.get(), 10s));
    INFO(t.logs());
    CHECK(t.proxy->metric("edge_connections_rejected_total{reason=\"connect_failed\"}") >= 1);
    CHECK(t.proxy->process().running());
    auto wg = t.proxy->http_get("/wg");
    CHECK_THAT(wg, Catch::Contains("\"handshakes\":0"));
    // Its active checks fail the same way (they time out in the tunnel) and never pass.
    CHECK(t.proxy->metric("edge_backend_health_checks_total{backend=\"host-v4\",result=\"passed\"}")
              .value_or(0) == 0);
}

TEST_CASE("edgeproxy's tunnel-only mode as the backend host: byte-exact both ways, pings") {
    tunnel_pair t({far_end::edgeproxy, true});
    echo_load_result r = echo_load(t.proxy->port(), 1000, 16, 79);
    INFO(t.logs());
    CHECK(r.bad == 0);
    CHECK(r.ok == 1000);
    CHECK(ping(t.host.in({}), "10.99.0.1"));
    CHECK(ping({}, "fd99::2"));
}

TEST_CASE("a wg_peers edit while traffic flows adds and removes a peer, the other undisturbed") {
    // The proxy's config file names host A; host B's peer arrives and leaves through routing.db's
    // wg_peers (edgectl wg peer add/remove), as a routing feed would bring it.
    temp_dir dir;
    netns host_a("ewga"), host_b("ewgc");
    host_a.link({{"10.200.0.1/24", "10.200.0.2/24"}});
    host_b.link({{"10.201.0.1/24", "10.201.0.2/24"}});
    wg_keys pop = wg_keys::generate(), a = wg_keys::generate(), b = wg_keys::generate();
    auto host = [&](const netns& ns, const wg_keys& k, const std::string& address) {
        wireguard_go_options w;
        w.keys = k;
        w.addresses = {address + "/24"};
        w.peer_public_key = pop.public_key;
        w.peer_allowed_ips = "10.99.0.1/32";
        return std::make_unique<wireguard_go>(ns, dir, w);
    };
    auto wg_a = host(host_a, a, "10.99.0.2");
    auto wg_b = host(host_b, b, "10.99.0.3");
    std::vector<std::unique_ptr<child_process>> echoes;
    for (const netns* ns : {&host_a, &host_b}) {
        spawn_options es;
        es.log_path = dir.file(ns->name() + "-echo.log");
        echoes.push_back(std::make_unique<child_process>(
            ns->in({edge_load_bin(), "serve", "--listen", "0.0.0.0:9000", "--mode", "echo",
                    "--no-progress"}),
            es));
        REQUIRE(echoes.back()->wait_for_output("listening", 10s));
    }
    write_private(dir.file("pop.conf"), wg_quick(pop, "10.99.0.1/24", 51821, a.public_key,
                                                 "10.200.0.2:51820", "10.99.0.2/32"));
    const std::string db = dir.file("routing.db");
    write_routing_db(db, {{"host-a", backend_port, "eu", "", "10.99.0.2"}});
    proxy_process proxy(dir, {db,
                              2,
                              {"--wg-config", dir.file("pop.conf"), "--region", "eu",
                               "--binding-ttl", "0", "--reload-interval", "100ms"}});
    auto edgectl = [&](std::vector<std::string> args) {
        args.insert(args.begin(), edgectl_bin());
        auto [rc, out] = run_command(args, 10000ms);
        INFO(out);
        REQUIRE(rc == 0);
    };
    auto wait_metric = [&](const std::string& name, double want) {
        for (int i = 0; i < 100 && proxy.metric(name) != want; ++i)
            std::this_thread::sleep_for(50ms);
        return proxy.metric(name) == want;
    };

    // Traffic all along: one exchange after another, each checked byte for byte.
    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, bad{0};
    std::thread traffic([&] {
        for (std::uint64_t i = 0; !stop; ++i)
            (echo_round_trip(proxy.port(), random_bytes(20000, i)) ? ok : bad)++;
    });

    std::this_thread::sleep_for(500ms);
    edgectl({"wg", "peer", "add", db, b.public_key, "--endpoint", "10.201.0.2:51820",
             "--allowed-ips", "10.99.0.3/32"});
    CHECK(wait_metric("edge_wg_peers", 2));
    exec_sql(db,
             "INSERT INTO backends (id, app, region, country, wg_ip, port, healthy, weight, "
             "soft_limit, hard_limit) VALUES ('host-b', 'app', 'eu', '', '10.99.0.3', 9000, "
             "1, 1, 100, 0)");
    for (int i = 0;
         i < 100 && proxy.metric("edge_backend_connections_total{backend=\"host-b\"}") < 20; ++i)
        std::this_thread::sleep_for(50ms);
    const double to_b =
        proxy.metric("edge_backend_connections_total{backend=\"host-b\"}").value_or(0);
    CHECK(to_b >= 20);

    // Out again: the backend first (no new clients), then its peer.
    exec_sql(db, "DELETE FROM backends WHERE id = 'host-b'");
    CHECK(wait_metric("edge_routing_backends{state=\"healthy\"}", 1));
    edgectl({"wg", "peer", "remove", db, b.public_key});
    CHECK(wait_metric("edge_wg_peers", 1));
    const int ok_before = ok;
    std::this_thread::sleep_for(1s);
    stop = true;
    traffic.join();

    INFO(proxy.output());
    CHECK(bad == 0);
    CHECK(ok - ok_before > 5);  // host A kept serving after B's peer left
    auto wg = proxy.http_get("/wg");
    CHECK_THAT(wg, Catch::Contains(a.public_key));
    CHECK_THAT(wg, !Catch::Contains(b.public_key));
    CHECK_THAT(proxy.output(), Catch::Contains("removed"));
}

int main(int argc, char** argv) {
    if (auto why = enter_own_netns()) {
        std::printf("SKIP: %s\n", why->c_str());
        return 77;
    }
    if (run_command({"sh", "-c", "command -v ping"}, 5000ms).first != 0) {
        std::printf("SKIP: ping is not installed (tools/install_deps test: iputils-ping)\n");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
