#pragma once
// Every reason wg/ rejects a datagram or a packet, as one flat enum, and the counters that count
// each reason. Rejections are tier 1 of the error policy (docs/ARCHITECTURE.md): untrusted input,
// counted and dropped, never a crash, never a log line per packet.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edge::wg {

enum class error : std::uint8_t {
    none,
    // ---- the datagram's shape (messages) ----
    bad_type,    ///< first byte not 1-4, or the three reserved bytes not zero
    bad_length,  ///< not the exact size of its type (data: shorter than header + tag)
    // ---- handshake and cookies ----
    bad_mac1,             ///< mac1 does not match our public key: not for us, or forged
    cookie_required,      ///< under load and mac2 missing or stale: a cookie reply was sent
    rate_limited,         ///< under load, this source sent more handshakes than its share
    handshake_failed,     ///< a handshake field did not decrypt (wrong keys, PSK mismatch)
    unknown_peer,         ///< an initiation from a static key that is not one of our peers
    stale_timestamp,      ///< an initiation's TAI64N not newer than the last: a replay
    initiation_flood,     ///< a peer's initiations closer together than the whitepaper allows
    low_order_key,        ///< a DH result of all zeros (a low-order point): aborted
    unexpected_response,  ///< a response or cookie reply for no handshake of ours in flight
    bad_cookie_reply,     ///< a cookie reply that did not decrypt
    // ---- transport data ----
    unknown_index,      ///< a receiver index that names no keypair of ours
    replay,             ///< a counter already seen, or older than the replay window
    decrypt_failed,     ///< the tag did not verify
    expired_keys,       ///< the keypair is past REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES
    disallowed_source,  ///< the inner packet's source is not in the peer's allowed IPs
    bad_inner_packet,   ///< the decrypted packet is not a well-formed IPv4/IPv6 header
    // ---- sending ----
    no_route,          ///< no peer's allowed IPs cover the destination
    no_endpoint,       ///< the peer has no known endpoint yet
    no_session,        ///< no usable keypair (a handshake has been started or is pending)
    staged_dropped,    ///< the queue of packets waiting for a handshake was full: oldest dropped
    buffer_too_small,  ///< the caller's output buffer cannot hold the result
    too_large,         ///< an IP packet larger than the tunnel's MTU allows
    count_             ///< number of reasons (not a reason)
};

inline constexpr std::size_t error_count = static_cast<std::size_t>(error::count_);

/// The reason's name as metrics label it ("bad_mac1"). Any thread.
std::string_view error_name(error e) noexcept;

/// Rejections counted by reason. Relaxed atomics written by their owner and read by whoever
/// exports them: a worker or the control thread owns one each; the exporter sums. No reason is
/// ever counted through a lock.
struct counters {
    std::array<std::atomic<std::uint64_t>, error_count> by_reason{};

    /// Counts one rejection (error::none is not counted). Owner's thread.
    void add(error e, std::uint64_t n = 1) noexcept {
        if (e != error::none)
            by_reason[static_cast<std::size_t>(e)].fetch_add(n, std::memory_order_relaxed);
    }
    /// How many times `e` was counted. Any thread.
    std::uint64_t get(error e) const noexcept {
        return by_reason[static_cast<std::size_t>(e)].load(std::memory_order_relaxed);
    }
};

}  // namespace edge::wg
