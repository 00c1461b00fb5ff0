// buffer_store / buffer_queue: the relay's queues over the pool and the spill area. Byte order
// and counts must survive every operation the relay and the pressure relief apply, or a
// connection would send bytes twice, lose them, or leak pool buffers.
// Exits 77 (skipped) where io_uring is unavailable (the pool is a real provided-buffer ring).

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <string>

#include "engine/uring/buffer_queue.hpp"
#include "engine/uring/ring.hpp"

using namespace edge;
using namespace edge::engine;

namespace {

ring_features g_features;
constexpr unsigned pool_count = 8, size = 1024;

std::string pattern(std::size_t offset, std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((offset + i) * 131 % 251);
    return s;
}

// Pretends the kernel received `bytes` of the stream starting at `offset` into the pool buffers
// that follow in ring order, and queues them as a receive CQE would.
std::uint16_t next_bid = 0;
void receive(buffer_store& s, buffer_queue& q, std::size_t offset, std::uint32_t bytes) {
    std::uint16_t first = next_bid;
    std::string data = pattern(offset, bytes);
    for (std::uint32_t i = 0, done = 0; done < bytes; ++i) {
        std::uint16_t bid = s.pool().nth_of_bundle(first, i);
        std::uint32_t n = std::min<std::uint32_t>(size, bytes - done);
        std::memcpy(s.data(bid), data.data() + done, n);
        done += n;
        next_bid = s.pool().nth_of_bundle(first, i + 1);
    }
    s.append_received(q, first, bytes);
}

std::string contents(const buffer_store& s, const buffer_queue& q) {
    iovec iov[64];
    unsigned k = s.gather(q, iov, 64);
    std::string out;
    for (unsigned i = 0; i < k; ++i)
        out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    return out;
}

}  // namespace

TEST_CASE("queues keep byte order through consume, spill, compaction and drop") {
    next_bid = 0;
    auto r = ring::create(ring::options{64, 256}, g_features);
    REQUIRE(r);
    auto pool = buf_ring::create(*r, buf_ring::options{pool_count, size, 0});
    REQUIRE(pool);
    auto store = buffer_store::create(*pool, 4);
    REQUIRE(store);
    buffer_store& s = *store;

    buffer_queue q;
    receive(s, q, 0, 2 * size + 100);  // three buffers, the last partial
    CHECK(q.count == 3);
    CHECK(q.pool_count == 3);
    CHECK(q.bytes == 2 * size + 100);
    CHECK(pool->held() == 3);
    CHECK(contents(s, q) == pattern(0, 2 * size + 100));

    SECTION("a partial send keeps an offset, whole buffers go back to the pool") {
        s.consume(q, size + 10);
        CHECK(q.count == 2);
        CHECK(q.bytes == size - 10 + 100);
        CHECK(pool->held() == 2);
        CHECK(contents(s, q) == pattern(size + 10, size - 10 + 100));
    }

    SECTION("spill moves pool bytes to spill buffers and frees the pool, order intact") {
        s.consume(q, 10);  // the head has an offset: it must travel with it
        unsigned freed = s.spill(q, 0);
        CHECK(freed == 3);
        CHECK(q.pool_count == 0);
        CHECK(q.count == 3);
        CHECK(pool->held() == 0);
        CHECK(s.spill_used() == 3);
        CHECK(contents(s, q) == pattern(10, 2 * size + 90));
        s.consume(q, q.bytes);
        CHECK(q.empty());
        CHECK(s.spill_used() == 0);
    }

    SECTION("spill leaves the buffers a send still reads, and stops when spill is full") {
        receive(s, q, 2 * size + 100, 3 * size);  // six buffers in all; spill holds four
        unsigned freed = s.spill(q, 1);
        CHECK(freed == 4);
        CHECK(q.pool_count == 2);  // the kept head and the one that found no spill buffer
        CHECK(s.spill_free() == 0);
        CHECK(contents(s, q) == pattern(0, 5 * size + 100));
        s.drop(q);
        CHECK(q.empty());
        CHECK(pool->held() == 0);
        CHECK(s.spill_used() == 0);
    }

    SECTION("drop keeps the buffers a send in flight reads") {
        s.drop(q, 1);
        CHECK(q.count == 1);
        CHECK(q.bytes == size);
        CHECK(pool->held() == 1);
        s.consume(q, size);
        CHECK(q.empty());
        CHECK(pool->held() == 0);
    }

    SECTION("compact_head joins a split header into the first buffer") {
        buffer_queue h;
        receive(s, h, 5000, 100);
        receive(s, h, 5100, 200);
        CHECK(h.count == 2);
        s.compact_head(h, 300);
        CHECK(h.count == 1);
        CHECK(s.length(h.head) == 300);
        CHECK(contents(s, h) == pattern(5000, 300));
        s.drop(h);
    }
    s.drop(q);
    CHECK(pool->held() == 0);
}

int main(int argc, char** argv) {
    auto f = probe_ring_features();
    if (!f) {
        std::printf("SKIP: io_uring unavailable: %s\n", probe_message(f.error()));
        return 77;
    }
    g_features = *f;
    return Catch::Session().run(argc, argv);
}
