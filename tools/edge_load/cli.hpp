#pragma once
// cli: edge-load's command line. parse_args() turns argv into one `options` value, checking that
// every flag belongs to the chosen mode, and throws usage_error with a message naming the flag.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/cpu_list.hpp"
#include "tools/edge_load/endpoint.hpp"

namespace edge::load {

enum class mode : std::uint8_t { rate, rr, bulk, hold, serve };
enum class serve_mode : std::uint8_t { echo, sink, source, reply };
enum class direction : std::uint8_t { up, down, both };

/// A bad command line; main prints what() and the usage, and exits 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr std::uint64_t operator""_s(unsigned long long v) {
    return v * 1'000'000'000ull;
}

struct options {
    mode run_mode = mode::rate;
    std::vector<socket_address> targets;  // client modes: connections go round-robin
    std::vector<socket_address> listen;   // serve
    std::optional<source_set> sources;
    bool sources_disabled = false;  // --source none
    unsigned threads = 1;
    std::vector<int> cpus;
    std::uint64_t duration_ns = 0;  // 0: not given
    std::uint64_t count = 0;        // 0: not given
    std::uint64_t timeout_ns = 5_s;
    double rate = 0;                       // per second over all threads; 0: as fast as possible
    unsigned concurrency = 0;              // rate, hold: connections in flight (0: mode default)
    unsigned connections = 0;              // rr, hold
    unsigned streams = 1;                  // bulk
    std::uint64_t send_bytes = 64;         // rate, rr, hold: bytes written per connection / request
    std::optional<std::string> send_text;  // rate: these bytes instead of the pattern
    std::uint64_t recv_bytes = 64;         // rate, rr, hold: bytes expected back
    bool send_given = false;
    bool recv_given = false;
    bool recv_until_eof = false;  // rate: --recv eof
    std::uint64_t bytes = 0;      // bulk: per stream and direction; 0: until the duration ends
    direction dir = direction::both;
    std::uint64_t chunk = 256 * 1024;  // bulk: bytes per send
    std::uint64_t hold_ns = 10_s;
    serve_mode smode = serve_mode::echo;
    std::uint64_t request_size = 64;  // serve reply: bytes that make one request
    std::uint64_t reply_size = 64;    // serve reply: bytes sent per request
    bool close_after_reply = false;   // serve reply: close once the first reply is sent
    std::uint64_t source_limit = 0;   // serve source: bytes per connection, 0: unlimited
    std::optional<std::string> banner;
    bool reset = false;  // serve: close every accepted connection with RST
    unsigned backlog = 4096;
    std::string stats_path;
    std::string json_path;
    int progress = -1;               // -1: when stderr is a tty
    std::uint64_t max_errors = 0;    // more errors than this fails the run
    double max_error_fraction = -1;  // or, when >= 0, more than this share of attempts
    bool verify = true;              // check content against the pattern
};

/// Parses argv (argv[0] is the program); throws usage_error. Any thread.
options parse_args(int argc, const char* const* argv);
/// The same from a list of words, without the program name (for tests).
options parse_args(const std::vector<std::string>& words);

/// Unit parsers, exposed for tests; each returns nullopt on malformed text.
/// "250ms", "10s", "2m", "500us", a bare number is seconds.
std::optional<std::uint64_t> parse_duration_ns(std::string_view text);
/// "64", "4k", "16KiB", "1M", "2G" (binary multiples).
std::optional<std::uint64_t> parse_size(std::string_view text);
/// "1000", "1000/s", "5k/s", "2.5k".
std::optional<double> parse_rate(std::string_view text);
/// "0-3,5,7-8": the engine's parser (base/cpu_list.hpp).
using edge::parse_cpu_list;

/// The text of `edge-load --help`.
std::string usage_text();
std::string_view mode_name(mode m) noexcept;
std::string_view serve_mode_name(serve_mode m) noexcept;
std::string_view direction_name(direction d) noexcept;

}  // namespace edge::load
