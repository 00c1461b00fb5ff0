// End to end: the access log (--access-log) writes one line per finished connection with the
// right fields, and the right termination for each way a connection ends — through the real
// binary, real sockets and real files.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/log_lines.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

std::uint16_t local_port(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof(sa);
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    return ntohs(sa.sin_port);
}

/// The one line the log holds after one connection, parsed.
std::map<std::string, std::string> only_line(const std::string& path) {
    auto lines = wait_for_lines(path, 1);
    REQUIRE(lines.size() == 1);
    INFO(lines[0]);
    return parse_logfmt(lines[0]);
}

proxy_options with_log(const temp_dir& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--access-log", dir.file("access.log")};
    args.insert(args.end(), extra.begin(), extra.end());
    return {dir.file("routing.db"), 1, args};
}

}  // namespace

TEST_CASE("a normal connection: every field of its line") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo, "echo");
    write_routing_db(dir.file("routing.db"), {{"echo-1", echo.port(), "eu", "DE"}});
    proxy_process proxy(dir, with_log(dir));
    unique_fd fd = connect_tcp(proxy.port());
    REQUIRE(fd);
    std::uint16_t client_port = local_port(fd.get());
    REQUIRE(send_all(fd.get(), "hello, backend\n"));  // 15 bytes
    REQUIRE(read_exact(fd.get(), 15));
    std::this_thread::sleep_for(50ms);
    ::shutdown(fd.get(), SHUT_WR);
    REQUIRE(wait_closed(fd.get()));

    auto f = only_line(dir.file("access.log"));
    CHECK(std::regex_match(f["time"], std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    CHECK(f["client"] == "127.0.0.1:" + std::to_string(client_port));
    CHECK(f["listener"] == "127.0.0.1:" + std::to_string(proxy.port()));
    CHECK(f["country"] == "-");  // no --geoip
    CHECK(f["backend"] == "echo-1");
    CHECK(f["backend_addr"] == "127.0.0.1:" + std::to_string(echo.port()));
    CHECK(f["attempts"] == "1");
    CHECK(std::stod(f["connect_ms"]) > 0);
    CHECK(f["bytes_up"] == "15");
    CHECK(f["bytes_down"] == "15");
    CHECK(std::stod(f["duration_ms"]) >= 50);
    CHECK(f["term"] == "--");
    CHECK(f["reason"] == "normal");
    CHECK(proxy.metric("edge_access_log_lines_total") == 1);
    CHECK(proxy.metric("edge_access_log_dropped_total{reason=\"buffer_full\"}") == 0);
}

TEST_CASE("resets on either side are told apart") {
    temp_dir dir;
    SECTION("the client resets") {
        test_backend echo(test_backend::mode::echo);
        write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
        proxy_process proxy(dir, with_log(dir));
        unique_fd fd = connect_tcp(proxy.port());
        REQUIRE(send_all(fd.get(), "ping"));
        REQUIRE(read_exact(fd.get(), 4));
        linger l{1, 0};
        setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        fd.reset();
        auto f = only_line(dir.file("access.log"));
        CHECK(f["reason"] == "client_reset");
        CHECK(f["term"] == "CD");
        CHECK(f["bytes_up"] == "4");
        CHECK(f["backend"] == "echo");
    }
    SECTION("the backend resets") {
        test_backend rst(test_backend::mode::reset, "rst");
        write_routing_db(dir.file("routing.db"), {{"rst", rst.port()}});
        proxy_process proxy(dir, with_log(dir));
        unique_fd fd = connect_tcp(proxy.port());
        REQUIRE(send_all(fd.get(), "hello"));
        CHECK(wait_closed(fd.get()));
        auto f = only_line(dir.file("access.log"));
        CHECK(f["reason"] == "backend_reset");
        CHECK(f["term"] == "SD");
        CHECK(f["backend"] == "rst");
    }
}

TEST_CASE("an idle connection closed by --idle-timeout") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, with_log(dir, {"--idle-timeout", "500ms"}));
    unique_fd fd = connect_tcp(proxy.port());
    REQUIRE(fd);
    CHECK(wait_closed(fd.get(), 5s));
    auto f = only_line(dir.file("access.log"));
    CHECK(f["reason"] == "idle_timeout");
    CHECK(f["term"] == "cD");
    // Idle deadlines are kept in 100 ms worker ticks.
    CHECK(std::stod(f["duration_ms"]) >= 350);
}

TEST_CASE("clients that never reach a backend: why, and which backends were tried") {
    temp_dir dir;
    SECTION("every connect refused") {
        write_routing_db(dir.file("routing.db"), {{"d1", refused_port()}, {"d2", refused_port()}});
        proxy_process proxy(dir, with_log(dir, {"--connect-attempts", "2", "--binding-ttl", "0"}));
        unique_fd fd = connect_tcp(proxy.port());
        CHECK(wait_closed(fd.get()));
        auto f = only_line(dir.file("access.log"));
        CHECK(f["reason"] == "connect_failed");
        CHECK(f["term"] == "SC");
        CHECK(f["attempts"] == "2");
        CHECK((f["backend"] == "d1" || f["backend"] == "d2"));
        CHECK(f["connect_ms"] == "-");
        CHECK(f["bytes_down"] == "0");
    }
    SECTION("the connect times out") {
        blackhole_backend hole;
        write_routing_db(dir.file("routing.db"), {{"hole", hole.port()}});
        proxy_process proxy(
            dir, with_log(dir, {"--connect-timeout", "300ms", "--connect-attempts", "1"}));
        unique_fd fd = connect_tcp(proxy.port());
        CHECK(wait_closed(fd.get()));
        auto f = only_line(dir.file("access.log"));
        CHECK(f["reason"] == "connect_timeout");
        CHECK(f["term"] == "sC");
        CHECK(f["backend"] == "hole");
    }
    SECTION("no eligible backend") {
        write_routing_db(dir.file("routing.db"), {{"sick", 9, "eu", "", "127.0.0.1", 0}});
        proxy_process proxy(dir, with_log(dir));
        unique_fd fd = connect_tcp(proxy.port());
        CHECK(wait_closed(fd.get()));
        auto f = only_line(dir.file("access.log"));
        CHECK(f["reason"] == "no_backend");
        CHECK(f["term"] == "SC");
        CHECK(f["backend"] == "-");
        CHECK(f["backend_addr"] == "-");
        CHECK(f["attempts"] == "0");
    }
    SECTION("the only backend is at its hard_limit") {
        test_backend hold(test_backend::mode::hold, "full");
        write_routing_db(dir.file("routing.db"),
                         {{"full", hold.port(), "eu", "", "127.0.0.1", 1, 1, 100, 1}});
        proxy_process proxy(dir, with_log(dir));
        unique_fd first = connect_tcp(proxy.port());
        REQUIRE(send_all(first.get(), "x"));
        for (int i = 0; i < 100 && hold.open_now() == 0; ++i)
            std::this_thread::sleep_for(10ms);
        unique_fd second = connect_tcp(proxy.port());
        CHECK(wait_closed(second.get()));
        auto f = only_line(dir.file("access.log"));
        CHECK(f["reason"] == "capacity");
        CHECK(f["term"] == "PC");
    }
}

TEST_CASE("PROXY protocol listeners: the header's client, a bad header, a late one") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(
        dir, with_log(dir, {"--listen-proxy", "127.0.0.1:0", "--proxy-header-timeout", "300ms"}));
    REQUIRE(proxy.proxy_port() != 0);
    SECTION("the client the load balancer saw") {
        CHECK(first_line_through(proxy.proxy_port(), "",
                                 "PROXY TCP4 203.0.113.7 127.0.0.1 40001 80\r\nhi\n") == "hi");
        auto f = only_line(dir.file("access.log"));
        CHECK(f["client"] == "203.0.113.7:40001");
        CHECK(f["listener"] == "127.0.0.1:" + std::to_string(proxy.proxy_port()));
        CHECK(f["bytes_up"] == "3");
        CHECK(f["reason"] == "normal");
    }
    SECTION("a malformed header") {
        unique_fd fd = connect_tcp(proxy.proxy_port());
        REQUIRE(send_all(fd.get(), "HELLO THERE\r\n"));
        CHECK(wait_closed(fd.get()));
        auto f = only_line(dir.file("access.log"));
        CHECK(f["reason"] == "bad_header");
        CHECK(f["term"] == "PR");
    }
    SECTION("no header in time") {
        unique_fd fd = connect_tcp(proxy.proxy_port());
        CHECK(wait_closed(fd.get(), 5s));
        auto f = only_line(dir.file("access.log"));
        CHECK(f["reason"] == "header_timeout");
        CHECK(f["term"] == "cR");
    }
}

TEST_CASE("a connection cut by the drain deadline is logged before the proxy exits") {
    temp_dir dir;
    test_backend hold(test_backend::mode::hold);
    write_routing_db(dir.file("routing.db"), {{"hold", hold.port()}});
    proxy_process proxy(dir, with_log(dir, {"--drain-timeout", "500ms"}));
    unique_fd fd = connect_tcp(proxy.port());
    REQUIRE(send_all(fd.get(), "data"));
    for (int i = 0; i < 100 && hold.open_now() == 0; ++i)
        std::this_thread::sleep_for(10ms);
    proxy.process().signal(SIGTERM);
    REQUIRE(proxy.process().wait_exit(10s) == 0);
    auto f = only_line(dir.file("access.log"));
    CHECK(f["reason"] == "drain");
    CHECK(f["term"] == "KD");
    CHECK(f["bytes_up"] == "4");
}

TEST_CASE("the client's country and region come from the GeoIP database") {
    temp_dir dir;
    build_geo_db(dir, "127.0.10.0/24,GB\n");
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, with_log(dir, {"--geoip", dir.file("geo.mmdb")}));
    CHECK(first_line_through(proxy.port(), "127.0.10.9", "hi\n") == "hi");
    auto f = only_line(dir.file("access.log"));
    CHECK(f["client"].rfind("127.0.10.9:", 0) == 0);
    CHECK(f["country"] == "GB");
    CHECK(f["region"] == "eu");
}

TEST_CASE("--access-log-format json: one object per line") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, with_log(dir, {"--access-log-format", "json"}));
    for (int i = 0; i < 3; ++i)
        CHECK(first_line_through(proxy.port(), "", "json\n") == "json");
    auto lines = wait_for_lines(dir.file("access.log"), 3);
    REQUIRE(lines.size() == 3);
    for (const std::string& l : lines) {
        auto j = nlohmann::json::parse(l);
        CHECK(j["client"] == "127.0.0.1");
        CHECK(j["client_port"].get<int>() > 0);
        CHECK(j["backend"] == "echo");
        CHECK(j["bytes_up"] == 5);
        CHECK(j["bytes_down"] == 5);
        CHECK(j["reason"] == "normal");
        CHECK(j["country"].is_null());
    }
}

TEST_CASE("SIGUSR1 reopens the file that logrotate moved away") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, with_log(dir));
    CHECK(first_line_through(proxy.port(), "", "one\n") == "one");
    REQUIRE(wait_for_lines(dir.file("access.log"), 1).size() == 1);
    std::filesystem::rename(dir.file("access.log"), dir.file("access.log.1"));
    proxy.process().signal(SIGUSR1);
    REQUIRE(proxy.process().wait_for_output("access log " + dir.file("access.log") + " reopened"));
    CHECK(first_line_through(proxy.port(), "", "two\n") == "two");
    CHECK(wait_for_lines(dir.file("access.log"), 1).size() == 1);
    CHECK(wait_for_lines(dir.file("access.log.1"), 1, 100ms).size() == 1);
}

TEST_CASE("syslog: one datagram per connection on the socket given") {
    temp_dir dir;
    std::string path = dir.file("log.sock");
    unique_fd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
    REQUIRE(::bind(sock.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    timeval tv{5, 0};
    setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--access-log", "syslog:" + path}});
    CHECK(first_line_through(proxy.port(), "", "sys\n") == "sys");
    char buf[2048];
    ssize_t n = ::recv(sock.get(), buf, sizeof(buf), 0);
    REQUIRE(n > 0);
    std::string msg(buf, static_cast<std::size_t>(n));
    INFO(msg);
    CHECK(std::regex_search(
        msg, std::regex(R"(^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d edgeproxy\[\d+\]: time=)")));
    CHECK_THAT(msg, Catch::EndsWith(" reason=normal"));  // no newline inside a datagram
}

TEST_CASE("stderr: access lines beside the process log") {
    temp_dir dir;
    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--access-log", "stderr"}});
    CHECK(first_line_through(proxy.port(), "", "err\n") == "err");
    CHECK(proxy.process().wait_for_output("reason=normal"));
}

TEST_CASE("an access log that cannot be opened stops the start with the reason") {
    temp_dir dir;
    write_routing_db(dir.file("routing.db"), {});
    auto [rc, out] =
        run_command({edgeproxy_bin(), "--listen", "127.0.0.1:0", "--metrics", "off", "--db",
                     dir.file("routing.db"), "--access-log", dir.file("no/such/dir/access.log")},
                    10s);
    CHECK(rc == 1);
    CHECK_THAT(out, Catch::Contains("--access-log"));
    CHECK_THAT(out, Catch::Contains("No such file or directory"));
}
