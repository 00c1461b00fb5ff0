#include "wg/keypair.hpp"

#include "wg/crypto/secret.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace edge::wg {

keypair::keypair(const transport_keys& keys, peer_id peer, time_ns now,
                 const protocol_limits& limits) noexcept
    : send_(keys.send),
      receive_(keys.receive),
      local_index_(keys.local_index),
      remote_index_(keys.remote_index),
      peer_(peer),
      created_(now),
      is_initiator_(keys.is_initiator),
      limits_(limits) {}

keypair::~keypair() {
    // The keys are const for every reader; at destruction no reader is left.
    crypto::secure_wipe(const_cast<std::uint8_t*>(send_.data()), send_.size());
    crypto::secure_wipe(const_cast<std::uint8_t*>(receive_.data()), receive_.size());
}

result<std::uint64_t, error> keypair::reserve_send_counters(std::uint64_t n, time_ns now) noexcept {
    if (now - created_ >= limits_.reject_after_time) return unexpected(error::expired_keys);
    // Refuse before adding once the limit is reached, so that the counter can never wrap round
    // to reusable nonces: concurrent blocks that pass this check together add at most a few
    // times max_counter_block, far less than the 2^13 between the limit and 2^64.
    if (n > max_counter_block || send_counter() >= limits_.reject_after_messages)
        return unexpected(error::expired_keys);
    const std::uint64_t first = send_counter_.fetch_add(n, std::memory_order_relaxed);
    if (first >= limits_.reject_after_messages || limits_.reject_after_messages - first < n)
        return unexpected(error::expired_keys);
    return first;
}

bool keypair::should_rekey_after_send(time_ns now) const noexcept {
    return send_counter() >= limits_.rekey_after_messages ||
           (is_initiator_ && now - created_ >= limits_.rekey_after_time);
}

bool keypair::should_rekey_after_receive(time_ns now) const noexcept {
    return is_initiator_ && now - created_ >= limits_.rekey_on_receive_age();
}

void keypair::lock() noexcept {
    while (replay_lock_.exchange(true, std::memory_order_acquire)) {
        while (replay_lock_.load(std::memory_order_relaxed)) {
#if defined(__x86_64__)
            _mm_pause();
#endif
        }
    }
}

}  // namespace edge::wg
