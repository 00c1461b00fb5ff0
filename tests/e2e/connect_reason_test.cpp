// Regression (issue 11, item 5): a backend connect that failed for any reason was counted as
// `refused`. The mechanism: the per-backend failure counter had one label for every errno, so an
// operator chasing "refused" looked for a dead process when the route was missing or the address
// unusable. Now the errno is classified: refused, unreachable, reset, timeout, other.
//
// The addresses here fail inside the kernel, before any packet could leave: a TCP connect to a
// multicast group is ENETUNREACH, and to an IPv6 link-local address without a scope EINVAL.

#include <catch2/catch.hpp>

#include <thread>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;

namespace {

double failures(const proxy_process& p, const std::string& backend, const std::string& reason) {
    return p
        .metric("edge_backend_connect_failures_total{backend=\"" + backend + "\",reason=\"" +
                reason + "\"}")
        .value_or(-1);
}

}  // namespace

TEST_CASE("connect failures are counted by their real reason") {
    temp_dir dir;
    // One attempt each, so that every client meets exactly the backend it is steered to.
    write_routing_db(dir.file("routing.db"), {{"multicast", 80, "eu", "", "224.0.0.1"}});
    proxy_process proxy(
        dir,
        {dir.file("routing.db"), 1, {"--connect-attempts", "1", "--reload-interval", "100ms"}});
    auto one_client = [&] {
        unique_fd fd = connect_tcp(proxy.port());
        REQUIRE(fd);
        CHECK(wait_closed(fd.get(), 5s));
    };
    one_client();
    CHECK(failures(proxy, "multicast", "unreachable") == 1);
    CHECK(failures(proxy, "multicast", "refused") == 0);

    write_routing_db(dir.file("routing.db"), {{"linklocal", 80, "eu", "", "fe80::1"}});
    REQUIRE(proxy.process().wait_for_output("routing.db reloaded: v2", 5s));
    std::this_thread::sleep_for(200ms);  // the workers swap at their next loop
    one_client();
    CHECK(failures(proxy, "linklocal", "other") == 1);
    CHECK(failures(proxy, "linklocal", "refused") == 0);

    write_routing_db(dir.file("routing.db"), {{"closed", refused_port()}});
    REQUIRE(proxy.process().wait_for_output("routing.db reloaded: v3", 5s));
    std::this_thread::sleep_for(200ms);
    one_client();
    CHECK(failures(proxy, "closed", "refused") == 1);
    CHECK(proxy.metric("edge_connections_rejected_total{reason=\"connect_failed\"}") == 3);
}
