#pragma once
// Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard runs it (whitepaper §5.4.2-5.4.5): the
// initiator's and the responder's steps as pure functions of keys, the message and the handshake
// state. Randomness (ephemeral keys, sender indices) and the timestamp come in as arguments, so
// a known-answer test reproduces a handshake byte for byte. mac1/mac2 are not touched here: the
// cookie layer (cookie.hpp) stamps them after formatting and checks them before any DH runs.
//
// Every DH result is checked for all zeros (a low-order public key) and the handshake aborted
// (RFC 7748 §6.1); every secret intermediate is wiped when its state is.
//
// Threading: one handshake state belongs to one thread, the control (handshake) thread.

#include <cstdint>

#include "base/result.hpp"
#include "wg/errors.hpp"
#include "wg/messages.hpp"
#include "wg/types.hpp"

namespace edge::wg {

/// Our static identity: the private key and what derives from it once.
struct local_identity {
    key private_key{};
    key public_key{};
    key mac1_key{};    ///< HASH("mac1----" || our public key): checks mac1 of what we receive
    key cookie_key{};  ///< HASH("cookie--" || our public key): seals our cookie replies

    /// Derives the public key and the mac1/cookie keys. Control thread (start-up).
    static local_identity from_private(const key& private_key) noexcept;
    ~local_identity();
};

/// What we know of one peer's identity, with the static-static DH precomputed (§5.4.2 step
/// "(C, k) := KDF2(C, DH(S_priv_i, S_pub_r))" does not change between handshakes).
struct remote_identity {
    key public_key{};
    key preshared_key{};     ///< zeros when none is configured (whitepaper §5.2)
    key static_static{};     ///< DH(our static, their static)
    key mac1_key{};          ///< HASH("mac1----" || their public key): stamps mac1 of what we send
    key cookie_key{};        ///< HASH("cookie--" || their public key): opens their cookie replies
    bool static_ok = false;  ///< false when DH(our static, their static) was all zeros

    /// Derives the precomputed values. Control thread.
    static remote_identity make(const local_identity& local, const key& public_key,
                                const key& preshared_key) noexcept;
    ~remote_identity();
};

/// The keys a completed handshake yields (§5.4.5), with the indices that name them.
struct transport_keys {
    key send{};
    key receive{};
    std::uint32_t local_index = 0;   ///< the index peers address our keypair by
    std::uint32_t remote_index = 0;  ///< the index we address their keypair by
    bool is_initiator = false;
    ~transport_keys();
};

/// A handshake in flight: the running chaining key and hash and what the next step needs.
struct handshake_state {
    enum class stage : std::uint8_t { none, initiation_sent, initiation_consumed };
    stage at = stage::none;
    key chaining_key{};
    key hash{};
    key local_ephemeral{};   ///< initiator: our ephemeral private key
    key remote_ephemeral{};  ///< responder: the initiator's ephemeral public key
    std::uint32_t local_index = 0;
    std::uint32_t remote_index = 0;

    /// Wipes every secret and returns to stage::none. Control thread.
    void clear() noexcept;
    ~handshake_state();
};

/// Initiator, step 1: builds the initiation (mac fields zero) into msg and leaves state at
/// initiation_sent. Fails with low_order_key when a DH is all zeros. Control thread.
result<void, error> create_initiation(handshake_state& state, const local_identity& local,
                                      const remote_identity& remote, const key& ephemeral_private,
                                      const tai64n& timestamp, std::uint32_t local_index,
                                      initiation_message& msg) noexcept;

/// Responder, step 1a: decrypts the initiator's static key, leaving `state` ready for step 1b.
/// Fails with handshake_failed (not for us, or corrupted) or low_order_key. Control thread.
result<key, error> consume_initiation_static(handshake_state& state, const local_identity& local,
                                             const initiation_message& msg) noexcept;

/// Responder, step 1b: with the peer found by its static key, decrypts the timestamp (which the
/// caller must check against the last one) and moves state to initiation_consumed. Control
/// thread.
result<tai64n, error> consume_initiation_timestamp(handshake_state& state,
                                                   const remote_identity& remote,
                                                   const initiation_message& msg) noexcept;

/// Responder, step 2: builds the response (mac fields zero) and the transport keys; the state is
/// cleared. Control thread.
result<void, error> create_response(handshake_state& state, const remote_identity& remote,
                                    const key& ephemeral_private, std::uint32_t local_index,
                                    response_message& msg, transport_keys& keys) noexcept;

/// Initiator, step 2: checks the response against the initiation in flight and derives the
/// transport keys; the state is cleared on success and left as it was on failure (a forged
/// response must not cancel our handshake). Control thread.
result<void, error> consume_response(handshake_state& state, const local_identity& local,
                                     const remote_identity& remote, const response_message& msg,
                                     transport_keys& keys) noexcept;

/// TAI64N of a wall-clock time in nanoseconds since the Unix epoch (§5.4.2: 2^62 + 10 + seconds,
/// nanoseconds), with the nanoseconds rounded down to a multiple of 2^24 so that the timestamp
/// does not serve as a fine timer to an observer (as wireguard-go does). Any thread.
tai64n make_tai64n(std::int64_t unix_ns) noexcept;

/// True when a is strictly later than b (big-endian byte order is time order). Any thread.
bool is_later(const tai64n& a, const tai64n& b) noexcept;

}  // namespace edge::wg
