// End to end: a rolling restart the old way, for upgrades from a version without --takeover. A
// new edgeproxy starts on the port of a running one (SO_REUSEPORT, which --share-listeners must
// ask for since defect 4 of issue 11), the old one gets SIGTERM, drains and exits 0, and a client
// that keeps connecting all the while sees every exchange answered. It runs in a network namespace
// of its own (skipped, exit 77, where one cannot be made) so that it can turn on
// net.ipv4.tcp_migrate_req there without touching the host: clients queued on the old listener
// when it closes move to the new one instead of being reset.

#define CATCH_CONFIG_RUNNER
#include <sched.h>
#include <signal.h>
#include <catch2/catch.hpp>

#include <atomic>
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

// One exchange per connection, as fast as they go; counts answered and failed exchanges.
class steady_client {
  public:
    explicit steady_client(std::uint16_t port)
        : thread_([this, port] {
              for (int i = 0; !stop_.load(); ++i) {
                  std::string msg = "exchange " + std::to_string(i);
                  unique_fd c = connect_tcp(port, "127.0.0.1", "", 2000ms);
                  bool good = c && send_all(c.get(), msg, 2000ms) &&
                              read_exact(c.get(), msg.size(), 2000ms) == msg;
                  (good ? answered_ : failed_).fetch_add(1);
              }
          }) {}
    ~steady_client() { stop(); }

    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    int answered() const { return answered_.load(); }
    int failed() const { return failed_.load(); }
    /// Waits until `n` more exchanges have been answered; false after `timeout`.
    bool wait_more(int n, std::chrono::milliseconds timeout = 10s) const {
        int target = answered() + n;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (answered() < target) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(5ms);
        }
        return true;
    }

  private:
    std::atomic<bool> stop_{false};
    std::atomic<int> answered_{0};
    std::atomic<int> failed_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE("rolling restart: new proxy on the same port, SIGTERM to the old, no exchange lost") {
    temp_dir old_dir, new_dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(old_dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process old_proxy(old_dir, {old_dir.file("routing.db"), 2, {"--drain-timeout", "10s"}});
    const std::uint16_t port = old_proxy.port();

    steady_client client(port);
    REQUIRE(client.wait_more(200));
    proxy_process new_proxy(
        new_dir, {old_dir.file("routing.db"),
                  2,
                  {"--listen", "127.0.0.1:" + std::to_string(port), "--share-listeners"}});
    CHECK_THAT(new_proxy.output(),
               Catch::Contains("listening on 127.0.0.1:" + std::to_string(port)));
    REQUIRE(client.wait_more(200));

    old_proxy.process().signal(SIGTERM);
    CHECK(old_proxy.process().wait_exit(10s) == 0);
    CHECK_THAT(old_proxy.output(), Catch::Contains("drained"));
    // Every connection now lands on the new proxy.
    double before = new_proxy.metric("edge_connections_total").value_or(0);
    REQUIRE(client.wait_more(300));
    client.stop();
    CHECK(new_proxy.metric("edge_connections_total").value_or(0) >= before + 300);
    INFO("answered " << client.answered());
    CHECK(client.failed() == 0);
}

int main(int argc, char** argv) {
    std::string why;
    if (!enter_own_network(why)) {
        std::printf("SKIP: %s\n", why.c_str());
        return 77;
    }
    set_tcp_migrate_req(true);
    return Catch::Session().run(argc, argv);
}
