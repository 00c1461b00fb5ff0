#pragma once
// Echo exchanges through a proxy, checked byte for byte: one (echo_round_trip) or many at once
// (echo_load: mostly small payloads, every tenth up to 1 MiB, the first empty and the second
// exactly 1 MiB, so every size class appears).

#include <chrono>
#include <cstdint>
#include <string>

namespace edge::test {

/// Sends `payload` to host:port, half-closes, and reads the echo to EOF concurrently (a large
/// payload would otherwise deadlock against the kernel's socket buffers). True when the echo
/// is byte-exact.
bool echo_round_trip(std::uint16_t port, const std::string& payload,
                     const std::string& host = "127.0.0.1");

struct echo_load_result {
    int ok = 0;
    int bad = 0;
    std::uint64_t bytes = 0;  // payload bytes sent (and expected back)
};

/// `total` exchanges over `parallel` threads with payloads from `seed`.
echo_load_result echo_load(std::uint16_t port, int total, int parallel, std::uint64_t seed,
                           const std::string& host = "127.0.0.1");

}  // namespace edge::test
