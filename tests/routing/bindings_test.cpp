// binding_table: sliding TTL, expiry and reclaim, the memory bound with oldest-first eviction,
// IPv4/IPv6 keys, and concurrent use from many threads.

#include <arpa/inet.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "routing/bindings.hpp"

using namespace edge::routing;

namespace {

client_key v4(const char* s) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, s, &a.sin_addr) == 1);
    return client_key::from_sockaddr(reinterpret_cast<const sockaddr*>(&a));
}

client_key v6(const char* s) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    REQUIRE(inet_pton(AF_INET6, s, &a.sin6_addr) == 1);
    return client_key::from_sockaddr(reinterpret_cast<const sockaddr*>(&a));
}

client_key nth(std::uint32_t i) {
    in_addr a{htonl(0x0a000000u + i)};
    return client_key::from_v4(a);
}

}  // namespace

TEST_CASE("client keys: v4 is v4-mapped v6, distinct addresses differ", "[bindings]") {
    CHECK(v4("192.0.2.1") == v6("::ffff:192.0.2.1"));
    CHECK_FALSE(v4("192.0.2.1") == v4("192.0.2.2"));
    CHECK_FALSE(v6("2001:db8::1") == v6("2001:db8::2"));
    CHECK_FALSE(v6("2001:db8::1") == v6("2001:db9::1"));
}

TEST_CASE("lookup finds a fresh binding and slides its TTL", "[bindings]") {
    binding_table t({.max_entries = 100, .ttl_ms = 1000, .shards = 4});
    auto k = v4("127.0.0.5");
    CHECK_FALSE(t.lookup(k, 0).has_value());
    t.bind(k, {3, 9}, 0);
    CHECK(t.size() == 1);
    auto b = t.lookup(k, 999);
    REQUIRE(b.has_value());
    CHECK(*b == binding{3, 9});
    // The lookup at 999 refreshed it: still fresh at 1998, well past the first deadline.
    CHECK(t.lookup(k, 1998).has_value());
    // Idle a full TTL: gone, and the entry is reclaimed on the spot.
    CHECK_FALSE(t.lookup(k, 1998 + 1000).has_value());
    CHECK(t.size() == 0);
}

TEST_CASE("bind replaces a client's binding", "[bindings]") {
    binding_table t({.max_entries = 10, .ttl_ms = 1000, .shards = 1});
    auto k = v6("2001:db8::7");
    t.bind(k, {1, 1}, 0);
    t.bind(k, {2, 5}, 10);
    CHECK(t.size() == 1);
    CHECK(*t.lookup(k, 20) == binding{2, 5});
}

TEST_CASE("forget removes only the expected binding", "[bindings]") {
    binding_table t({.max_entries = 10, .ttl_ms = 1000, .shards = 2});
    auto k = v4("10.1.1.1");
    t.bind(k, {4, 1}, 0);
    CHECK_FALSE(t.forget(k, {4, 2}));  // another worker already rebound it: leave it
    CHECK(t.lookup(k, 1).has_value());
    CHECK(t.forget(k, {4, 1}));
    CHECK_FALSE(t.lookup(k, 2).has_value());
    CHECK_FALSE(t.forget(k, {4, 1}));
}

TEST_CASE("sweep reclaims expired entries only", "[bindings]") {
    binding_table t({.max_entries = 1000, .ttl_ms = 100, .shards = 8});
    for (std::uint32_t i = 0; i < 500; ++i)
        t.bind(nth(i), {i, 1}, i < 300 ? 0 : 50);
    CHECK(t.size() == 500);
    CHECK(t.sweep(99, 10'000) == 0);
    CHECK(t.sweep(100, 10'000) == 300);
    CHECK(t.size() == 200);
    for (std::uint32_t i = 300; i < 500; ++i)
        CHECK(t.lookup(nth(i), 120).has_value());
    CHECK(t.sweep(1000, 50) == 50);  // the budget bounds one call's work
    CHECK(t.sweep(1000, 10'000) == 150);
    CHECK(t.size() == 0);
}

TEST_CASE("memory is bounded: the oldest binding is evicted", "[bindings]") {
    binding_table t({.max_entries = 64, .ttl_ms = 1'000'000, .shards = 1});
    for (std::uint32_t i = 0; i < 64; ++i)
        t.bind(nth(i), {i, 1}, i);
    CHECK(t.size() == 64);
    CHECK(t.lookup(nth(0), 100).has_value());  // touch 0: now the most recent
    t.bind(nth(1000), {1000, 1}, 101);
    CHECK(t.size() == 64);
    CHECK(t.evictions() == 1);
    CHECK_FALSE(t.lookup(nth(1), 102).has_value());  // 1 was the least recently used
    CHECK(t.lookup(nth(0), 102).has_value());
    for (std::uint32_t i = 2000; i < 12000; ++i)
        t.bind(nth(i), {i, 1}, 200 + i);
    CHECK(t.size() == 64);
    for (std::uint32_t i = 12000 - 64; i < 12000; ++i)
        CHECK(t.lookup(nth(i), 20000).has_value());
}

TEST_CASE("the bound holds across shards", "[bindings]") {
    binding_table t({.max_entries = 1000, .ttl_ms = 1'000'000, .shards = 16});
    for (std::uint32_t i = 0; i < 50'000; ++i)
        t.bind(nth(i), {i, 1}, i);
    CHECK(t.size() <= 1000);
    CHECK(t.size() >= 900);  // shards fill evenly enough
    CHECK(t.max_entries() == 1000);
}

TEST_CASE("heavy churn keeps lookups correct (probe chains survive deletions)", "[bindings]") {
    binding_table t({.max_entries = 256, .ttl_ms = 50, .shards = 1});
    std::uint64_t now = 0;
    for (std::uint32_t round = 0; round < 200; ++round) {
        now += 10;
        for (std::uint32_t i = 0; i < 40; ++i) {
            std::uint32_t id = (round * 37 + i * 11) % 600;
            auto got = t.lookup(nth(id), now);
            if (got)
                REQUIRE(got->slot == id);
            else
                t.bind(nth(id), {id, 1}, now);
        }
        if (round % 7 == 0) t.sweep(now, 1000);
    }
    CHECK(t.size() <= 256);
}

TEST_CASE("a client sees the same binding from every thread", "[bindings][threads]") {
    binding_table t({.max_entries = 4096, .ttl_ms = 1'000'000, .shards = 64});
    const int threads = 8;
    const std::uint32_t clients = 2000;
    std::atomic<int> mismatches{0};
    std::vector<std::thread> pool;
    for (int w = 0; w < threads; ++w) {
        pool.emplace_back([&, w] {
            for (int round = 0; round < 5; ++round) {
                for (std::uint32_t i = 0; i < clients; ++i) {
                    std::uint32_t c = (i * 7 + static_cast<std::uint32_t>(w) * 13) % clients;
                    // What a worker does per connection: lookup, else bind its own choice.
                    // The binding content is a function of the client, so any thread's write
                    // is the one every other thread must see.
                    auto b = t.lookup(nth(c), 10);
                    if (!b)
                        t.bind(nth(c), {c, c + 1}, 10);
                    else if (b->slot != c || b->generation != c + 1)
                        mismatches.fetch_add(1);
                }
            }
        });
    }
    for (auto& th : pool)
        th.join();
    CHECK(mismatches.load() == 0);
    CHECK(t.size() == clients);
    for (std::uint32_t c = 0; c < clients; ++c) {
        auto b = t.lookup(nth(c), 20);
        REQUIRE(b.has_value());
        CHECK(b->slot == c);
    }
}

TEST_CASE("concurrent bind, forget and sweep keep the bound", "[bindings][threads]") {
    binding_table t({.max_entries = 512, .ttl_ms = 5, .shards = 8});
    std::atomic<int> wrong{0};  // Catch2 assertions are not thread-safe: count, check after
    std::vector<std::thread> pool;
    for (int w = 0; w < 6; ++w) {
        pool.emplace_back([&, w] {
            std::uint32_t x = 1 + static_cast<std::uint32_t>(w);
            for (std::uint64_t now = 0; now < 20'000; ++now) {
                x = x * 1664525 + 1013904223;
                std::uint32_t c = x % 3000;
                if (w == 0 && now % 100 == 0) t.sweep(now, 64);
                switch (x >> 30) {
                    case 0:
                        t.forget(nth(c), {c, 1});
                        break;
                    case 1:
                        t.bind(nth(c), {c, 1}, now);
                        break;
                    default:
                        if (auto b = t.lookup(nth(c), now); b && b->slot != c) wrong.fetch_add(1);
                }
            }
        });
    }
    for (auto& th : pool)
        th.join();
    CHECK(wrong.load() == 0);
    CHECK(t.size() <= 512);
}

TEST_CASE("the index grows with the table and lookups stay right", "[bindings]") {
    binding_table t({.max_entries = 100'000, .ttl_ms = 1'000'000, .shards = 4});
    for (std::uint32_t i = 0; i < 60'000; ++i)
        t.bind(nth(i), {i, 2}, 1);
    CHECK(t.size() == 60'000);
    for (std::uint32_t i = 0; i < 60'000; i += 7) {
        auto b = t.lookup(nth(i), 2);
        REQUIRE(b.has_value());
        CHECK(b->slot == i);
    }
    CHECK_FALSE(t.lookup(nth(70'000), 2).has_value());
    for (std::uint32_t i = 0; i < 60'000; i += 2)
        CHECK(t.forget(nth(i), {i, 2}));
    for (std::uint32_t i = 1; i < 60'000; i += 2)
        CHECK(t.lookup(nth(i), 3).has_value());
    CHECK(t.size() == 30'000);
}
