// End to end: an access log destination that cannot keep up (a FIFO whose reader does not read)
// never slows the relay: records beyond what the worker's ring holds are dropped and counted,
// and what was kept arrives once the reader reads.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "tests/support/log_lines.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

TEST_CASE("a FIFO nobody reads: dropped lines are counted, every client is still served") {
    temp_dir dir;
    std::string fifo = dir.file("access.fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // The reader end exists (so the proxy can open the FIFO) but reads nothing for now; its
    // pipe holds one page, a dozen lines.
    unique_fd reader(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    REQUIRE(reader);
    ::fcntl(reader.get(), F_SETPIPE_SZ, 4096);

    test_backend echo(test_backend::mode::echo);
    write_routing_db(dir.file("routing.db"), {{"echo", echo.port()}});
    proxy_process proxy(
        dir, {dir.file("routing.db"), 1, {"--access-log", fifo, "--access-log-buffer", "16"}});
    constexpr int clients = 400;
    int served = 0;
    for (int i = 0; i < clients; ++i)
        served += first_line_through(proxy.port(), "", "x\n") == "x";
    CHECK(served == clients);

    auto dropped = [&] {
        return proxy.metric("edge_access_log_dropped_total{reason=\"buffer_full\"}").value_or(-1);
    };
    CHECK(dropped() > 0);

    // Now read: everything the proxy kept arrives, and kept + dropped is every connection.
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
        pollfd p{reader.get(), POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            char buf[65536];
            ssize_t n = ::read(reader.get(), buf, sizeof(buf));
            if (n > 0) got.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        double written = proxy.metric("edge_access_log_lines_total").value_or(-1);
        std::size_t lines = static_cast<std::size_t>(std::count(got.begin(), got.end(), '\n'));
        if ((written + dropped() == clients && lines == written) ||
            std::chrono::steady_clock::now() > deadline)
            break;
    }
    double written = proxy.metric("edge_access_log_lines_total").value_or(-1);
    double lost = dropped();
    INFO("written " << written << ", dropped " << lost);
    CHECK(written + lost == clients);
    CHECK(static_cast<double>(std::count(got.begin(), got.end(), '\n')) == written);
    CHECK(proxy.metric("edge_access_log_dropped_total{reason=\"write_error\"}") == 0);
    // Every line that arrived is whole.
    std::size_t start = 0;
    while (start < got.size()) {
        std::size_t end = got.find('\n', start);
        REQUIRE(end != std::string::npos);
        auto f = parse_logfmt(got.substr(start, end - start));
        CHECK(f["reason"] == "normal");
        start = end + 1;
    }
}
