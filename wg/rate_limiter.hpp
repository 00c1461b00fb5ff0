#pragma once
// Deciding "under load" and limiting handshakes per source (whitepaper §5.3: under load, a
// responder answers initiations without a valid mac2 with a cookie reply instead of doing DH).
//
// load_meter counts every handshake message that passed mac1; more than `per_second` within one
// second puts the tunnel under load for that second and the next (wireguard-go keeps the state a
// second after its queue drains for the same reason: a flood comes in waves). rate_limiter then
// gives each source IP (port ignored) a token bucket, 20 messages per second with a burst of 5 as
// wireguard-go, applied to messages with a valid mac2 while under load, so that one real source
// cannot take every DH either. Its table has a fixed size chosen at construction: no allocation
// per packet, and an old entry makes room for a new source. Control (handshake) thread.

#include <cstdint>
#include <vector>

#include "base/socket_address.hpp"
#include "wg/types.hpp"

namespace edge::wg {

class load_meter {
  public:
    /// Under load once more than `per_second` handshake messages arrive within a second.
    explicit load_meter(std::uint32_t per_second) noexcept : limit_(per_second) {}

    /// Counts one handshake message (mac1 already valid). Control thread.
    void count(time_ns now) noexcept;
    /// Whether the tunnel is under load now. Control thread.
    bool is_under_load(time_ns now) const noexcept;

  private:
    std::uint32_t limit_;
    std::uint32_t in_window_ = 0;
    time_ns window_start_{0};
    time_ns loaded_until_{0};
};

class rate_limiter {
  public:
    static constexpr std::uint32_t per_second = 20;
    static constexpr std::uint32_t burst = 5;

    /// A table of `slots` sources (rounded up to a power of two), keyed with `hash_key` so that an
    /// attacker cannot aim collisions at a victim's slot. Control thread (start-up).
    rate_limiter(std::size_t slots, std::uint64_t hash_key);

    /// Takes one token for source's IP; false when its bucket is empty. Control thread.
    bool allow(const socket_address& source, time_ns now) noexcept;

  private:
    struct entry {
        std::uint64_t ip_hi = 0, ip_lo = 0;  // the IP as 16 bytes (IPv4 mapped)
        time_ns last{0};
        std::int64_t tokens = 0;  // in nanoseconds of budget: one message costs 1 s / per_second
        bool used = false;
    };

    std::vector<entry> table_;
    std::uint64_t mask_;
    std::uint64_t hash_key_;
};

}  // namespace edge::wg
