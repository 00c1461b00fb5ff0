// Regression (issue 11, defect 3): the admin endpoint must never hold up the control thread.
//
// The mechanism: the admin port was served on the control thread one client at a time, each
// allowed up to a second, sixteen in a row; a few silent connections delayed /healthz, the start
// of a drain and routing reloads by seconds, and /metrics was built whole on that thread (124 MB
// for 100,000 backends). Now every admin socket is non-blocking on the control reactor, each
// client has deadlines (2 s for its request), at most 32 are served at once (more are closed at
// once), and per-backend series are paged (--metrics-max-backends, /metrics/backends?offset=N).
//
// Also defect 4 for the admin address: a second instance on the same --metrics is refused.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

std::vector<unique_fd> silent_clients(std::uint16_t port, int n) {
    std::vector<unique_fd> out;
    for (int i = 0; i < n; ++i)
        out.push_back(connect_tcp(port));
    return out;
}

template <class F>
std::chrono::milliseconds timed(F&& f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t0);
}

std::set<std::string> backend_labels(const std::string& body) {
    std::set<std::string> ids;
    std::regex re("edge_backend_connections_total\\{backend=\"([^\"]+)\"\\}");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), re); it != std::sregex_iterator();
         ++it)
        ids.insert((*it)[1]);
    return ids;
}

}  // namespace

TEST_CASE("silent admin clients delay neither /healthz, nor a reload, nor a drain") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--reload-interval", "100ms"}});
    auto silent = silent_clients(proxy.metrics_port(), 30);

    int status = 0;
    auto took = timed([&] { CHECK(proxy.http_get("/healthz", &status) == "ok\n"); });
    CHECK(status == 200);
    CHECK(took < 1000ms);

    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}, {"two", echo.port()}});
    CHECK(proxy.process().wait_for_output("routing.db reloaded: v2", 2s));

    // Each silent client is dropped at its request deadline (2 s), not held forever.
    for (auto& c : silent)
        CHECK(wait_closed(c.get(), 5s));

    silent = silent_clients(proxy.metrics_port(), 30);
    proxy.process().signal(SIGTERM);
    CHECK(proxy.process().wait_for_output("draining", 1s));
    CHECK(proxy.process().wait_exit(10s) == 0);
}

TEST_CASE("clients past the cap are closed at once and the endpoint keeps serving") {
    temp_dir dir;
    write_routing_db(dir.file("routing.db"), {{"a", 8080}});
    proxy_process proxy(dir, {dir.file("routing.db")});
    auto held = silent_clients(proxy.metrics_port(), 32);
    auto extra = silent_clients(proxy.metrics_port(), 8);
    for (auto& c : extra)
        CHECK(wait_closed(c.get(), 1s));
    held.clear();
    std::string body;
    for (int i = 0; i < 50 && body.empty(); ++i) {
        body = proxy.http_get("/healthz");
        if (body.empty()) std::this_thread::sleep_for(20ms);
    }
    CHECK(body == "ok\n");
}

TEST_CASE("/metrics carries --metrics-max-backends backends; /metrics/backends pages the rest") {
    temp_dir dir;
    std::vector<backend_row> rows;
    for (int i = 0; i < 2500; ++i)
        rows.push_back({"b" + std::to_string(i), 10000 + i % 5000});
    write_routing_db(dir.file("routing.db"), rows);
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--metrics-max-backends", "1000"}});
    std::string first = proxy.http_get("/metrics");
    CHECK(backend_labels(first).size() == 1000);
    CHECK_THAT(first, Catch::Contains("edge_connections_total "));
    std::string second = proxy.http_get("/metrics/backends?offset=1000");
    auto ids = backend_labels(second);
    CHECK(ids.size() == 1000);
    CHECK(ids.count("b1000") == 1);
    CHECK(ids.count("b999") == 0);
    CHECK_THAT(second, !Catch::Contains("edge_connections_total "));
    CHECK(backend_labels(proxy.http_get("/metrics/backends?offset=2000")).size() == 500);
    CHECK(backend_labels(proxy.http_get("/metrics/backends?offset=2500")).empty());
}

TEST_CASE("defect 4: a second instance on a --listen or --metrics address is refused") {
    temp_dir dir, second;
    write_routing_db(dir.file("routing.db"), {{"a", 8080}});
    proxy_process proxy(dir, {dir.file("routing.db")});
    const std::string taken_listen = "127.0.0.1:" + std::to_string(proxy.port());
    const std::string taken_metrics = "127.0.0.1:" + std::to_string(proxy.metrics_port());
    auto start = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {edgeproxy_bin(), "--db", dir.file("routing.db"), "--cores", "1",
                                   "--control", second.file("control.sock")});
        return run_command(args, 10s);
    };
    auto [code, out] = start({"--listen", taken_listen, "--metrics", "127.0.0.1:0"});
    CHECK(code == 1);
    CHECK_THAT(out, Catch::Contains("--listen " + taken_listen +
                                    ": another process already listens there"));
    CHECK_THAT(out, Catch::Contains("pid " + std::to_string(proxy.process().pid())));
    CHECK_THAT(out, Catch::Contains("edgectl restart"));
    CHECK_THAT(out, Catch::Contains("--share-listeners"));

    auto [mcode, mout] = start({"--listen", "127.0.0.1:0", "--metrics", taken_metrics});
    CHECK(mcode == 1);
    CHECK_THAT(mout, Catch::Contains("--metrics " + taken_metrics));

    // The same control socket as a running instance: refused, naming the ways out.
    auto [ccode, cout] =
        run_command({edgeproxy_bin(), "--db", dir.file("routing.db"), "--listen", "127.0.0.1:0",
                     "--metrics", "off", "--control", proxy.control_path()},
                    10s);
    CHECK(ccode == 1);
    CHECK_THAT(cout, Catch::Contains("belongs to a running edgeproxy"));
    // The running one never noticed.
    CHECK(proxy.process().running());
    CHECK(proxy.http_get("/healthz") == "ok\n");
}

TEST_CASE("--share-listeners: sharing an address on purpose still works") {
    temp_dir dir, second;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process first(dir, {dir.file("routing.db")});
    proxy_process shared(
        second, {dir.file("routing.db"),
                 1,
                 {"--listen", "127.0.0.1:" + std::to_string(first.port()), "--share-listeners"}});
    CHECK(shared.process().running());
    for (int i = 0; i < 20; ++i) {
        unique_fd c = connect_tcp(first.port());
        REQUIRE(send_all(c.get(), "hi"));
        CHECK(read_exact(c.get(), 2) == std::optional<std::string>("hi"));
    }
}

TEST_CASE("the control socket is created 0600 (owner only), whatever the umask") {
    temp_dir dir;
    write_routing_db(dir.file("routing.db"), {{"a", 8080}});
    // The most permissive umask: without the proxy's own care the socket would be 0777, and
    // any local user could restart or stop it.
    const mode_t old_mask = ::umask(0);
    std::optional<proxy_process> proxy;
    try {
        proxy.emplace(dir, proxy_options{dir.file("routing.db")});
    } catch (...) {
        ::umask(old_mask);
        throw;
    }
    ::umask(old_mask);
    struct stat st {};
    REQUIRE(::lstat(proxy->control_path().c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(st.st_uid == ::geteuid());
    // And it is the live one: edgectl reaches the proxy through it.
    auto [code, out] = run_command({edgectl_bin(), "pid", "--control", proxy->control_path()}, 10s);
    INFO(out);
    CHECK(code == 0);
    CHECK_THAT(out, Catch::Contains("pid " + std::to_string(proxy->process().pid())));
}
