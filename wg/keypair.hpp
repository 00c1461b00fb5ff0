#pragma once
// One session's keypair (whitepaper §5.4.5-5.4.6): the two transport keys a handshake yields, the
// indices naming them, and the only two pieces of it that several threads write — the send
// counter and the replay window (design §3's sanctioned sharing). Everything else is fixed at
// construction, so workers can hold a keypair through a shared_ptr and use it without locks.
//
// Lifetime: the control thread creates keypairs (one allocation per handshake, never per packet)
// and hands shared_ptrs to workers; whoever drops the last reference frees it, and the destructor
// wipes both keys. A keypair enforces its own limits (REJECT_AFTER_TIME/MESSAGES) on every use,
// so a worker still holding a stale reference can never encrypt or accept with expired keys.

#include <atomic>
#include <cstdint>

#include "base/result.hpp"
#include "wg/errors.hpp"
#include "wg/handshake.hpp"
#include "wg/replay_window.hpp"
#include "wg/timers.hpp"
#include "wg/types.hpp"

namespace edge::wg {

class keypair {
  public:
    /// The most counters one reservation may take (a batch is at most this many packets).
    static constexpr std::uint64_t max_counter_block = 256;

    /// Takes the keys of a completed handshake for `peer`, created at `now`. Control thread.
    keypair(const transport_keys& keys, peer_id peer, time_ns now,
            const protocol_limits& limits) noexcept;
    keypair(const keypair&) = delete;
    keypair& operator=(const keypair&) = delete;
    /// Wipes both keys. Whichever thread drops the last reference.
    ~keypair();

    /// What the handshake fixed: immutable after construction, read by any thread.
    const key& send_key() const noexcept { return send_; }
    const key& receive_key() const noexcept { return receive_; }
    std::uint32_t local_index() const noexcept { return local_index_; }
    std::uint32_t remote_index() const noexcept { return remote_index_; }
    peer_id peer() const noexcept { return peer_; }
    time_ns created() const noexcept { return created_; }
    bool is_initiator() const noexcept { return is_initiator_; }
    const protocol_limits& limits() const noexcept { return limits_; }

    /// Reserves `n` consecutive send counters with one atomic add and returns the first; fails
    /// with expired_keys when the keypair is past REJECT_AFTER_TIME or the block would reach
    /// REJECT_AFTER_MESSAGES (the block is burnt either way). Any thread.
    result<std::uint64_t, error> reserve_send_counters(std::uint64_t n, time_ns now) noexcept;
    /// How many counters have been reserved so far. Any thread.
    std::uint64_t send_counter() const noexcept {
        return send_counter_.load(std::memory_order_relaxed);
    }
    /// Whether this keypair may still decrypt at `now` (REJECT_AFTER_TIME). Any thread.
    bool is_receive_valid(time_ns now) const noexcept {
        return now - created_ < limits_.reject_after_time;
    }
    /// Whether sending on this keypair calls for a new handshake (§6.2): we initiated it and it
    /// is REKEY_AFTER_TIME old, or it has sent REKEY_AFTER_MESSAGES. Any thread.
    bool should_rekey_after_send(time_ns now) const noexcept;
    /// Whether receiving on it calls for one (§6.2: we initiated it and it is
    /// REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT old). Any thread.
    bool should_rekey_after_receive(time_ns now) const noexcept;

    /// Marks each counter of `counters` whose `accepted` flag is set as seen, clearing the flag
    /// of those already seen or outside the window; one lock for the whole batch. Call only
    /// after the tags verified. Any thread.
    template <class Range, class Counter, class Flag>
    void accept_counters(Range& packets, Counter counter_of, Flag flag_of) noexcept;

  private:
    void lock() noexcept;
    void unlock() noexcept { replay_lock_.store(false, std::memory_order_release); }

    const key send_;
    const key receive_;
    const std::uint32_t local_index_;
    const std::uint32_t remote_index_;
    const peer_id peer_;
    const time_ns created_;
    const bool is_initiator_;
    const protocol_limits limits_;

    // Sanctioned sharing (design §3): every worker encrypting for this session reserves a block
    // of nonces per batch with one relaxed fetch_add; no other ordering is needed because each
    // counter value is handed out exactly once. On its own cache line so that senders do not
    // invalidate the read-only keys above.
    alignas(64) std::atomic<std::uint64_t> send_counter_{0};

    // Sanctioned sharing (design §3): the replay window, written by whichever worker decrypted a
    // batch, only after the batch's tags verified, under this spin lock held for the few
    // instructions of one batch's updates (never across decryption).
    alignas(64) std::atomic<bool> replay_lock_{false};
    replay_window replay_;
};

// ---- inline definitions ----

template <class Range, class Counter, class Flag>
void keypair::accept_counters(Range& packets, Counter counter_of, Flag flag_of) noexcept {
    lock();
    for (auto& p : packets) {
        bool& ok = flag_of(p);
        if (ok) ok = replay_.accept(counter_of(p), limits_.reject_after_messages);
    }
    unlock();
}

}  // namespace edge::wg
