#include "tests/support/echo_load.hpp"

#include <sys/socket.h>

#include <atomic>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "tests/support/sockets.hpp"

namespace edge::test {

bool echo_round_trip(std::uint16_t port, const std::string& payload, const std::string& host) {
    unique_fd fd = connect_tcp(port, host);
    if (!fd) return false;
    auto reader = std::async(std::launch::async, [&] { return read_to_eof(fd.get(), 60s); });
    bool sent = send_all(fd.get(), payload, 60s);
    ::shutdown(fd.get(), SHUT_WR);
    auto got = reader.get();
    return sent && got && *got == payload;
}

echo_load_result echo_load(std::uint16_t port, int total, int parallel, std::uint64_t seed,
                           const std::string& host) {
    std::atomic<int> next{0}, ok{0}, bad{0};
    std::atomic<std::uint64_t> bytes{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < parallel; ++t)
        clients.emplace_back([&, t] {
            std::mt19937_64 rng(seed + std::uint64_t(t));
            for (int i; (i = next++) < total;) {
                // Mostly small, some large: every size class from 0 bytes to 1 MiB appears.
                std::size_t size = (i % 10 == 0) ? rng() % (1u << 20) + 1 : rng() % 16384;
                if (i == 0) size = 0;
                if (i == 1) size = 1u << 20;
                std::string payload = random_bytes(size, rng());
                (echo_round_trip(port, payload, host) ? ok : bad)++;
                bytes += size;
            }
        });
    for (auto& c : clients)
        c.join();
    return {ok.load(), bad.load(), bytes.load()};
}

}  // namespace edge::test
