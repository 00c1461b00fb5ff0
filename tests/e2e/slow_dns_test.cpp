// Regression (issue 11, defect 3): host names in routing.db's wg_ip were resolved on the control
// thread, so a resolver that did not answer held up signals, drains and the admin port for as
// long as getaddrinfo waited (5 s per try by default). Loads now run on the loader thread.
//
// The test makes a resolver that never answers: in a mount and network namespace of its own
// (exit 77 where they cannot be made) /etc/resolv.conf names 127.0.0.1, where a UDP socket of the
// test takes the queries and says nothing. A routing.db edit then adds a backend by host name;
// while the loader waits on it, /healthz answers, the old table keeps serving, and SIGTERM starts
// the drain at once.

#define CATCH_CONFIG_RUNNER
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "tests/support/namespaces.hpp"
#include "tests/support/process.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

unique_fd silent_resolver;

}  // namespace

TEST_CASE("a resolver that never answers delays no signal, no drain and no /healthz") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--reload-interval", "100ms"}});

    write_routing_db(dir.file("routing.db"),
                     {{"echo", echo.port()}, {"named", echo.port(), "eu", "", "backend.example"}});
    std::this_thread::sleep_for(500ms);  // the loader is in getaddrinfo now, for 10 s
    auto t0 = std::chrono::steady_clock::now();
    int status = 0;
    CHECK(proxy.http_get("/healthz", &status) == "ok\n");
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
    // The table in force still serves.
    unique_fd c = connect_tcp(proxy.port());
    REQUIRE(send_all(c.get(), "ping"));
    CHECK(read_exact(c.get(), 4, 2s) == std::optional<std::string>("ping"));
    c.reset();

    t0 = std::chrono::steady_clock::now();
    proxy.process().signal(SIGTERM);
    CHECK(proxy.process().wait_for_output("draining", 1s));
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
    // (The process exits once the loader's lookup gives up: the exit may wait for it.)
    CHECK(proxy.process().wait_exit(30s) == 0);
}

int main(int argc, char** argv) {
    std::string why;
    if (!enter_own_network(why, true)) {
        std::printf("SKIP: %s\n", why.c_str());
        return 77;
    }
    char conf[] = "/tmp/edgeproxy-resolv-XXXXXX";
    int fd = mkstemp(conf);
    if (fd < 0) return 77;
    const char text[] = "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n";
    (void)!::write(fd, text, sizeof(text) - 1);
    ::close(fd);
    if (::mount(conf, "/etc/resolv.conf", nullptr, MS_BIND, nullptr) != 0) {
        std::printf("SKIP: cannot bind-mount a resolv.conf: %s\n", std::strerror(errno));
        ::unlink(conf);
        return 77;
    }
    // Takes the queries and never answers (a closed port would answer with ICMP at once).
    silent_resolver.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(53);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(silent_resolver.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        std::printf("SKIP: cannot bind 127.0.0.1:53 in the namespace: %s\n", std::strerror(errno));
        return 77;
    }
    int rc = Catch::Session().run(argc, argv);
    ::umount("/etc/resolv.conf");
    ::unlink(conf);
    return rc;
}
