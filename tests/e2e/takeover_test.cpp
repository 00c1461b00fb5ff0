// End to end: restarts that hand the listeners over (issue 11). `edgectl restart` makes the
// running edgeproxy start its successor, which loads and checks everything, receives the
// listening sockets over SCM_RIGHTS and accepts on them, while the old one stops accepting,
// drains and exits 0.
//
// Why it matters (the mechanism these tests guard against): the old way to restart opened a
// second set of SO_REUSEPORT listeners and closed the first. Closing a listener resets every
// client queued on it unless net.ipv4.tcp_migrate_req=1, which most hosts leave at 0. Here the
// listeners are never closed: the same sockets live on in the successor. So the tests run in a
// network namespace of their own with tcp_migrate_req=0 (exit 77 where one cannot be made), under
// a steady stream of short connections from many source addresses, and require that not one
// fails or is reset and that every byte comes back.

#define CATCH_CONFIG_RUNNER
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "base/control_protocol.hpp"
#include "tests/support/namespaces.hpp"
#include "tests/support/process.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"
#include "tests/tools/edge_load_run.hpp"

using namespace edge;
using namespace edge::test;

namespace {

// The pid serving the control socket now.
pid_t serving_pid(const std::string& control) {
    auto [code, out] = run_command({edgectl_bin(), "pid", "--control", control}, 10s);
    if (code != 0) return -1;
    return static_cast<pid_t>(std::atoi(out.c_str() + out.find("pid ") + 4));
}

// Stops an instance this test is the subreaper of (a successor started by an older one).
void stop_instance(pid_t pid) {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 500; ++i) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
        std::this_thread::sleep_for(10ms);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

// Reaps `pid` once it has exited (an old instance after its drain): no zombies pile up.
bool reaped(pid_t pid, std::chrono::milliseconds timeout) {
    for (auto end = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(10ms)) {
        int st = 0;
        if (::waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    return false;
}

// A steady stream of short connections through the proxy: each connects from one of 65,536
// source addresses, sends 256 bytes, reads them back, closes. edge-load checks every byte.
class steady_load {
  public:
    steady_load(const temp_dir& dir, std::uint16_t port, int rate, int seconds)
        : json_(dir.file("load.json")),
          proc_({edge_load_bin(),
                 "rate",
                 "127.0.0.1:" + std::to_string(port),
                 "--rate",
                 std::to_string(rate) + "/s",
                 "--duration",
                 std::to_string(seconds) + "s",
                 "--source",
                 "127.1.0.0/16",
                 "--send",
                 "256",
                 "--concurrency",
                 "512",
                 "--timeout",
                 "5s",
                 "--max-errors",
                 "0",
                 "--cpus",
                 "0",
                 "--json",
                 json_,
                 "--no-progress"},
                spawn_options{{}, std::nullopt, dir.file("load.log")}) {}

    /// The stream is still flowing.
    bool running() { return proc_.running(); }
    /// Waits for the end; the exit code, the report and the JSON.
    load_result finish(std::chrono::milliseconds timeout) {
        auto rc = proc_.wait_exit(timeout);
        return {rc.value_or(-1), proc_.output(), slurp(json_)};
    }

  private:
    std::string json_;
    child_process proc_;
};

void check_clean(const load_result& r, int rate, int seconds) {
    INFO(r.output);
    auto line = r.output.find("connections attempted");
    if (line != std::string::npos)
        std::printf("load: %s\n", r.output.substr(line, r.output.find('\n', line) - line).c_str());
    REQUIRE(!r.json.empty());
    CHECK(r.exit_code == 0);
    CHECK(r.num("failed") == 0);
    CHECK(r.num("errors.total") == 0);
    CHECK(r.num("errors.reset") == 0);
    CHECK(r.num("errors.wrong_bytes") == 0);
    CHECK(r.num("completed") == r.num("attempted"));
    // Every byte sent came back (256 per connection).
    CHECK(r.num("bytes.received") == r.num("bytes.sent"));
    CHECK(r.num("bytes.sent") == 256 * r.num("completed"));
    // The stream really ran at the rate asked for (else the test proves less than it says).
    if (r.num("completed") < 0.9 * rate * seconds)
        WARN("the load ran below its rate: " << r.num("completed") << " connections");
}

}  // namespace

TEST_CASE("20 takeovers under 2,500 connections/s from many sources: none fails, none is reset") {
    temp_dir dir;
    serve_backend echo(dir, "echo", {});
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2, {"--drain-timeout", "10s"}});
    const std::string control = proxy.control_path();
    const pid_t first = proxy.process().pid();

    // Long enough that the 20 restarts all fall inside it, on a loaded machine too.
    constexpr int rate = 2500, seconds = 40;
    steady_load load(dir, proxy.port(), rate, seconds);
    std::this_thread::sleep_for(1500ms);
    pid_t previous = first;
    for (int i = 1; i <= 20; ++i) {
        INFO("takeover " << i);
        auto [code, out] = run_command({edgectl_bin(), "restart", "--control", control}, 60s);
        INFO(out);
        REQUIRE(code == 0);
        CHECK_THAT(out, Catch::Contains("serves now"));
        pid_t now = serving_pid(control);
        CHECK(now > 0);
        CHECK(now != previous);
        // The one it replaced drains and exits 0 (the first is the test's own child: below).
        if (previous != first) CHECK(reaped(previous, 15s));
        previous = now;
        std::this_thread::sleep_for(700ms);
    }
    CHECK(load.running());  // every takeover happened under the stream
    load_result r = load.finish(60s);
    check_clean(r, rate, seconds);

    // Each old instance drained and exited 0 (the first is the test's own child).
    CHECK(proxy.process().wait_exit(15s) == 0);
    std::string log = proxy.output();
    std::size_t handovers = 0;
    for (std::size_t at = 0; (at = log.find("took over from pid", at)) != std::string::npos; ++at)
        ++handovers;
    CHECK(handovers == 20);
    // The last one still serves, with its metrics on the same port.
    CHECK(proxy.metric("edge_connections_total").value_or(0) > 0);
    stop_instance(previous);
}

TEST_CASE("a successor that fails its checks, dies or vanishes leaves the old one serving") {
    temp_dir dir;
    serve_backend echo(dir, "echo", {});
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2});
    const std::string control = proxy.control_path();
    const pid_t old = proxy.process().pid();

    constexpr int rate = 2500, seconds = 8;
    steady_load load(dir, proxy.port(), rate, seconds);
    std::this_thread::sleep_for(500ms);

    // 1. Its checks fail: a GeoIP file that is garbage (flags given to the successor).
    {
        std::ofstream(dir.file("garbage.mmdb")) << "this is not a MaxMind database";
        auto [code, out] =
            run_command({edgectl_bin(), "restart", "--control", control, "--", "--listen",
                         "127.0.0.1:" + std::to_string(proxy.port()), "--metrics", "127.0.0.1:0",
                         "--db", dir.file("routing.db"), "--cores", "2", "--control", control,
                         "--geoip", dir.file("garbage.mmdb")},
                        60s);
        INFO(out);
        CHECK(code == 1);
        CHECK_THAT(out, Catch::Contains("restart failed"));
        CHECK_THAT(out, Catch::Contains("exited with status 1"));
    }
    // 2. The new binary is broken: it exits at once.
    {
        auto [code, out] = run_command(
            {edgectl_bin(), "restart", "--control", control, "--binary", "/bin/false"}, 60s);
        INFO(out);
        CHECK(code == 1);
    }
    // 3. A successor receives the sockets and dies before it is ready (the test plays it).
    {
        auto sock = control_protocol::connect(control);
        REQUIRE(sock);
        const std::string hello[] = {"takeover", std::to_string(::getpid()), "test"};
        REQUIRE(control_protocol::send(sock->get(), hello));
        std::size_t sockets = 0;
        for (;;) {
            auto m = control_protocol::receive(sock->get(), 5000);
            REQUIRE(m);
            sockets += m->fds.size();
            if (m->field(0) == "end") break;
        }
        CHECK(sockets >= 4);  // 2 listeners, admin, control (and the bindings)
    }                         // gone: its copies of the sockets close, the old instance's stay
    std::this_thread::sleep_for(300ms);

    load_result r = load.finish(60s);
    check_clean(r, rate, seconds);
    CHECK(serving_pid(control) == old);
    CHECK(proxy.process().running());
    CHECK(proxy.metric("edge_takeovers_total{result=\"failed\"}") == 3);
    CHECK(proxy.metric("edge_takeovers_total{result=\"handed_over\"}") == 0);
    CHECK_THAT(proxy.output(), Catch::Contains("went away before it was ready"));
    CHECK_THAT(proxy.output(), Catch::Contains("keeps serving"));
    // And a good restart still works after all that.
    auto [code, out] = run_command({edgectl_bin(), "restart", "--control", control}, 60s);
    INFO(out);
    CHECK(code == 0);
    CHECK(proxy.process().wait_exit(15s) == 0);
    stop_instance(serving_pid(control));
}

TEST_CASE("client affinity survives a takeover") {
    temp_dir dir;
    test_backend a(test_backend::mode::banner, "a"), b(test_backend::mode::banner, "b");
    write_routing_db(dir.file("routing.db"), {{"a", a.port()}, {"b", b.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2});
    // Eight clients; ties between a and b are spread, so they bind to both.
    std::vector<std::string> before;
    for (int i = 0; i < 8; ++i)
        before.push_back(first_line_through(proxy.port(), "127.0.0." + std::to_string(10 + i)));
    auto [code, out] =
        run_command({edgectl_bin(), "restart", "--control", proxy.control_path()}, 60s);
    INFO(out);
    REQUIRE(code == 0);
    CHECK(proxy.process().wait_exit(15s) == 0);
    CHECK_THAT(proxy.output(), Catch::Contains("client bindings: 8 of 8 taken over"));
    for (int i = 0; i < 8; ++i)
        CHECK(first_line_through(proxy.port(), "127.0.0." + std::to_string(10 + i)) == before[i]);
    stop_instance(serving_pid(proxy.control_path()));
}

TEST_CASE("a successor with fewer, then more workers serves every handed-over socket") {
    // The kernel keeps hashing clients to every socket of the SO_REUSEPORT group, so a socket
    // that no worker of the successor accepted on would leave its share of clients hanging.
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 2});
    auto restart_with = [&](const char* cores) {
        auto [code, out] = run_command(
            {edgectl_bin(), "restart", "--control", proxy.control_path(), "--", "--listen",
             "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--db", dir.file("routing.db"), "--control",
             proxy.control_path(), "--cores", cores},
            60s);
        INFO(out);
        REQUIRE(code == 0);
    };
    auto all_answered = [&] {
        int answered = 0;
        for (int i = 0; i < 200; ++i) {
            unique_fd c =
                connect_tcp(proxy.port(), "127.0.0.1", "127.3.0." + std::to_string(i + 1));
            answered += c && send_all(c.get(), "hi") &&
                        read_exact(c.get(), 2, 2s) == std::optional<std::string>("hi");
        }
        return answered;
    };
    restart_with("1");  // two sockets, one worker
    CHECK(proxy.process().wait_exit(15s) == 0);
    CHECK(all_answered() == 200);
    pid_t one = serving_pid(proxy.control_path());
    restart_with("2");  // back to two workers
    CHECK(reaped(one, 15s));
    CHECK(all_answered() == 200);
    stop_instance(serving_pid(proxy.control_path()));
}

TEST_CASE("systemd: READY=1, RELOADING=1, MAINPID= and READY=1 from the successor, STOPPING=1") {
    temp_dir dir;
    // The service manager's side: a datagram socket the proxy reports to.
    const std::string notify_path = dir.file("notify");
    unique_fd notify(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, notify_path.c_str());
    REQUIRE(::bind(notify.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    auto next_state = [&]() -> std::string {
        pollfd p{notify.get(), POLLIN, 0};
        if (::poll(&p, 1, 10000) != 1) return "(nothing)";
        char buf[512];
        ssize_t n = ::recv(notify.get(), buf, sizeof(buf), 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    };

    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_options o{dir.file("routing.db"), 1};
    o.env = {{"NOTIFY_SOCKET", notify_path}};
    proxy_process proxy(dir, o);
    CHECK(next_state() == "READY=1");

    auto [code, out] =
        run_command({edgectl_bin(), "restart", "--control", proxy.control_path()}, 60s);
    INFO(out);
    REQUIRE(code == 0);
    CHECK_THAT(next_state(), Catch::StartsWith("RELOADING=1\nMONOTONIC_USEC="));
    pid_t successor = serving_pid(proxy.control_path());
    CHECK(next_state() == "MAINPID=" + std::to_string(successor) + "\nREADY=1");
    CHECK(proxy.process().wait_exit(15s) == 0);
    // The old one drained without a word to systemd: it is not the service's main process now.
    ::kill(successor, SIGTERM);
    CHECK(next_state() == "STOPPING=1");
    stop_instance(successor);
}

int main(int argc, char** argv) {
    std::string why;
    if (!enter_own_network(why)) {
        std::printf("SKIP: %s\n", why.c_str());
        return 77;
    }
    // The host default, and the setting under which closing a listener resets its queue.
    set_tcp_migrate_req(false);
    // Successors are started by the instance they replace, which then exits: they become the
    // test's children, so that it can reap and stop them.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    return Catch::Session().run(argc, argv);
}
