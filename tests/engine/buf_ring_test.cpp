// The provided-buffer ring against the real kernel: receives (with bundles where the kernel has
// them) land in the buffers buf_ring says they do, also after buffers come back out of order.
// Exits 77 (skipped) where io_uring is unavailable.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "engine/uring/buf_ring.hpp"
#include "engine/uring/op_tag.hpp"
#include "engine/uring/ring.hpp"

using namespace edge;
using namespace edge::engine;

namespace {

enum class test_op : std::uint8_t { recv = 1 };

ring_features g_features;

std::string pattern(std::size_t offset, std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((offset + i) * 131 % 251);
    return s;
}

}  // namespace

TEST_CASE(
    "received bytes are where nth_of_bundle says, through wrap-around and out-of-order returns") {
    constexpr unsigned count = 8, size = 4096;
    auto r = ring::create(ring::options{64, 256}, g_features);
    REQUIRE(r.has_value());
    auto b = buf_ring::create(*r, buf_ring::options{count, size, 3});
    REQUIRE(b.has_value());
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    unique_fd rx(sv[0]), tx(sv[1]);

    std::size_t stream_offset = 0, verified = 0;
    std::vector<std::uint16_t> held;
    bool armed = false;
    for (int round = 0; round < 12; ++round) {
        if (!armed) {
            r->prep_recv_multishot(rx.get(), 3, g_features.recv_bundle, 4 * size, false,
                                   make_tag<1>(test_op::recv, 0, 1));
            armed = true;
        }
        // 2.5 buffers' worth per round: bundles span buffers and the last one is partial.
        std::string chunk = pattern(stream_offset, size * 2 + size / 2);
        stream_offset += chunk.size();
        REQUIRE(::write(tx.get(), chunk.data(), chunk.size()) ==
                static_cast<ssize_t>(chunk.size()));
        std::size_t want = stream_offset;
        while (verified < want) {
            REQUIRE(r->submit_and_wait(2000) >= -62);  // -ETIME tolerated; the loop re-checks
            completion c[16];
            unsigned n = r->reap(c);
            REQUIRE(n > 0);
            for (unsigned i = 0; i < n; ++i) {
                REQUIRE(c[i].res > 0);
                REQUIRE(c[i].has_buffer());
                if (!c[i].has_more()) armed = false;
                std::uint32_t bytes = static_cast<std::uint32_t>(c[i].res);
                unsigned nbufs = (bytes + size - 1) / size;
                b->on_taken(nbufs);
                for (unsigned k = 0; k < nbufs; ++k) {
                    std::uint16_t bid = b->nth_of_bundle(c[i].buffer_id(), k);
                    std::uint32_t len = bytes > size ? size : bytes;
                    bytes -= len;
                    CHECK(std::string(b->data(bid), len) == pattern(verified, len));
                    verified += len;
                    held.push_back(bid);
                }
            }
        }
        // Return buffers out of order (newest first), keeping one back for a round.
        while (held.size() > 1) {
            b->give_back(held.back());
            held.pop_back();
        }
        b->publish();
        if (!armed) continue;
    }
    CHECK(verified == stream_offset);
    CHECK(b->held() == held.size());
}

int main(int argc, char** argv) {
    auto f = probe_ring_features();
    if (!f) {
        std::printf("SKIP: io_uring unavailable: %s\n", probe_message(f.error()));
        return 77;
    }
    g_features = *f;
    std::printf("kernel %u.%u, recv bundles: %s\n", f->kernel_major, f->kernel_minor,
                f->recv_bundle ? "yes" : "no");
    return Catch::Session().run(argc, argv);
}
