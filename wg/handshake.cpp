// Noise IKpsk2 as WireGuard uses it. Each step below names the whitepaper's line it computes
// (§5.4.2 initiation, §5.4.3 response, §5.4.5 transport keys); C is the chaining key, H the hash.
#include "wg/handshake.hpp"

#include <cstring>
#include <string_view>

#include "wg/crypto/blake2s.hpp"
#include "wg/crypto/chacha20poly1305.hpp"
#include "wg/crypto/hkdf.hpp"
#include "wg/crypto/secret.hpp"
#include "wg/crypto/x25519.hpp"

namespace edge::wg {
namespace {

namespace crypto = edge::wg::crypto;

constexpr std::string_view k_construction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
constexpr std::string_view k_identifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";
constexpr std::string_view k_label_mac1 = "mac1----";
constexpr std::string_view k_label_cookie = "cookie--";

// A key that wipes itself when it goes out of scope (intermediate secrets of one step).
struct wiped_key : key {
    ~wiped_key() { crypto::secure_wipe(std::span<std::uint8_t>(data(), size())); }
};

std::span<const std::uint8_t> bytes_of(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// HASH(a || b)
void hash2(key& out, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
    crypto::blake2s h;
    h.update(a);
    h.update(b);
    h.finish(out);
}

// H := HASH(H || data)
void mix_hash(key& h, std::span<const std::uint8_t> data) noexcept {
    hash2(h, h, data);
}

struct initial_state {
    key chaining_key{};
    key hash{};
};

// C := HASH(CONSTRUCTION); H := HASH(C || IDENTIFIER). Constant, computed once.
const initial_state& initial() noexcept {
    static const initial_state s = [] {
        initial_state r;
        crypto::blake2s_hash(r.chaining_key, bytes_of(k_construction));
        hash2(r.hash, r.chaining_key, bytes_of(k_identifier));
        return r;
    }();
    return s;
}

// DH into out; false (handshake aborted) when the result is all zeros.
bool dh(key& out, const key& priv, const key& pub) noexcept {
    return crypto::x25519(out, priv, pub);
}

void seal(std::span<std::uint8_t> out, const key& k, std::span<const std::uint8_t> plain,
          const key& h) noexcept {
    crypto::aead_seal(out, plain, h, k, crypto::wg_nonce(0));
}

bool open(std::span<std::uint8_t> out, const key& k, std::span<const std::uint8_t> sealed,
          const key& h) noexcept {
    return crypto::aead_open(out, sealed, h, k, crypto::wg_nonce(0));
}

// The first steps both sides compute alike: H := HASH(H || S_pub_r); C := KDF1(C, E_pub_i);
// H := HASH(H || E_pub_i).
void start_initiation(handshake_state& s, const key& responder_static,
                      const key& initiator_ephemeral_public) noexcept {
    s.chaining_key = initial().chaining_key;
    s.hash = initial().hash;
    mix_hash(s.hash, responder_static);
    crypto::kdf1(s.chaining_key, s.chaining_key, initiator_ephemeral_public);
    mix_hash(s.hash, initiator_ephemeral_public);
}

// The response's key schedule after both ephemeral DHs (§5.4.3): (C, T, k) := KDF3(C, Q);
// H := HASH(H || T). Leaves the AEAD key in k.
void mix_preshared(handshake_state& s, const key& psk, key& k) noexcept {
    wiped_key tau;
    crypto::kdf3(s.chaining_key, tau, k, s.chaining_key, psk);
    mix_hash(s.hash, tau);
}

// (T_send, T_recv) := KDF2(C, ε), the initiator's view; the responder swaps them (§5.4.5).
void derive_transport(const handshake_state& s, bool initiator, transport_keys& keys) noexcept {
    key& first = initiator ? keys.send : keys.receive;
    key& second = initiator ? keys.receive : keys.send;
    crypto::kdf2(first, second, s.chaining_key, {});
    keys.is_initiator = initiator;
}

}  // namespace

local_identity local_identity::from_private(const key& private_key) noexcept {
    local_identity id;
    id.private_key = private_key;
    crypto::x25519_public_key(id.public_key, private_key);
    hash2(id.mac1_key, bytes_of(k_label_mac1), id.public_key);
    hash2(id.cookie_key, bytes_of(k_label_cookie), id.public_key);
    return id;
}

local_identity::~local_identity() {
    crypto::secure_wipe(std::span(private_key));
}

remote_identity remote_identity::make(const local_identity& local, const key& public_key,
                                      const key& preshared_key) noexcept {
    remote_identity r;
    r.public_key = public_key;
    r.preshared_key = preshared_key;
    r.static_ok = dh(r.static_static, local.private_key, public_key);
    hash2(r.mac1_key, bytes_of(k_label_mac1), public_key);
    hash2(r.cookie_key, bytes_of(k_label_cookie), public_key);
    return r;
}

remote_identity::~remote_identity() {
    crypto::secure_wipe(std::span(preshared_key));
    crypto::secure_wipe(std::span(static_static));
}

transport_keys::~transport_keys() {
    crypto::secure_wipe(std::span(send));
    crypto::secure_wipe(std::span(receive));
}

void handshake_state::clear() noexcept {
    crypto::secure_wipe(std::span(chaining_key));
    crypto::secure_wipe(std::span(hash));
    crypto::secure_wipe(std::span(local_ephemeral));
    remote_ephemeral = {};
    local_index = remote_index = 0;
    at = stage::none;
}

handshake_state::~handshake_state() {
    clear();
}

// ---------------------------------------------------------------- initiation (§5.4.2)

result<void, error> create_initiation(handshake_state& s, const local_identity& local,
                                      const remote_identity& remote, const key& ephemeral_private,
                                      const tai64n& timestamp, std::uint32_t local_index,
                                      initiation_message& msg) noexcept {
    if (!remote.static_ok) return unexpected(error::low_order_key);
    s.clear();
    s.local_ephemeral = ephemeral_private;
    crypto::x25519_public_key(msg.ephemeral, ephemeral_private);
    start_initiation(s, remote.public_key, msg.ephemeral);

    wiped_key shared, k;
    // (C, k) := KDF2(C, DH(E_priv_i, S_pub_r)); static := AEAD(k, 0, S_pub_i, H)
    if (!dh(shared, ephemeral_private, remote.public_key)) {
        s.clear();
        return unexpected(error::low_order_key);
    }
    crypto::kdf2(s.chaining_key, k, s.chaining_key, shared);
    seal(msg.encrypted_static, k, local.public_key, s.hash);
    mix_hash(s.hash, msg.encrypted_static);
    // (C, k) := KDF2(C, DH(S_priv_i, S_pub_r)); timestamp := AEAD(k, 0, TAI64N, H)
    crypto::kdf2(s.chaining_key, k, s.chaining_key, remote.static_static);
    seal(msg.encrypted_timestamp, k, timestamp, s.hash);
    mix_hash(s.hash, msg.encrypted_timestamp);

    msg.sender = local_index;
    msg.mac1 = {};
    msg.mac2 = {};
    s.local_index = local_index;
    s.at = handshake_state::stage::initiation_sent;
    return {};
}

result<key, error> consume_initiation_static(handshake_state& s, const local_identity& local,
                                             const initiation_message& msg) noexcept {
    s.clear();
    start_initiation(s, local.public_key, msg.ephemeral);
    wiped_key shared, k;
    if (!dh(shared, local.private_key, msg.ephemeral)) {
        s.clear();
        return unexpected(error::low_order_key);
    }
    crypto::kdf2(s.chaining_key, k, s.chaining_key, shared);
    key initiator_static{};
    if (!open(initiator_static, k, msg.encrypted_static, s.hash)) {
        s.clear();
        return unexpected(error::handshake_failed);
    }
    mix_hash(s.hash, msg.encrypted_static);
    s.remote_ephemeral = msg.ephemeral;
    s.remote_index = msg.sender;
    return initiator_static;
}

result<tai64n, error> consume_initiation_timestamp(handshake_state& s,
                                                   const remote_identity& remote,
                                                   const initiation_message& msg) noexcept {
    if (!remote.static_ok) {
        s.clear();
        return unexpected(error::low_order_key);
    }
    wiped_key k;
    crypto::kdf2(s.chaining_key, k, s.chaining_key, remote.static_static);
    tai64n timestamp{};
    if (!open(timestamp, k, msg.encrypted_timestamp, s.hash)) {
        s.clear();
        return unexpected(error::handshake_failed);
    }
    mix_hash(s.hash, msg.encrypted_timestamp);
    s.at = handshake_state::stage::initiation_consumed;
    return timestamp;
}

// ---------------------------------------------------------------- response (§5.4.3)

result<void, error> create_response(handshake_state& s, const remote_identity& remote,
                                    const key& ephemeral_private, std::uint32_t local_index,
                                    response_message& msg, transport_keys& keys) noexcept {
    if (s.at != handshake_state::stage::initiation_consumed)
        return unexpected(error::unexpected_response);
    // C := KDF1(C, E_pub_r); H := HASH(H || E_pub_r)
    crypto::x25519_public_key(msg.ephemeral, ephemeral_private);
    crypto::kdf1(s.chaining_key, s.chaining_key, msg.ephemeral);
    mix_hash(s.hash, msg.ephemeral);
    // C := KDF1(C, DH(E_priv_r, E_pub_i)); C := KDF1(C, DH(E_priv_r, S_pub_i))
    wiped_key shared, k;
    if (!dh(shared, ephemeral_private, s.remote_ephemeral)) {
        s.clear();
        return unexpected(error::low_order_key);
    }
    crypto::kdf1(s.chaining_key, s.chaining_key, shared);
    if (!dh(shared, ephemeral_private, remote.public_key)) {
        s.clear();
        return unexpected(error::low_order_key);
    }
    crypto::kdf1(s.chaining_key, s.chaining_key, shared);
    mix_preshared(s, remote.preshared_key, k);
    // empty := AEAD(k, 0, ε, H); H := HASH(H || empty)
    seal(msg.encrypted_nothing, k, {}, s.hash);
    mix_hash(s.hash, msg.encrypted_nothing);

    msg.sender = local_index;
    msg.receiver = s.remote_index;
    msg.mac1 = {};
    msg.mac2 = {};
    derive_transport(s, false, keys);
    keys.local_index = local_index;
    keys.remote_index = s.remote_index;
    s.clear();
    return {};
}

result<void, error> consume_response(handshake_state& s, const local_identity& local,
                                     const remote_identity& remote, const response_message& msg,
                                     transport_keys& keys) noexcept {
    if (s.at != handshake_state::stage::initiation_sent || msg.receiver != s.local_index)
        return unexpected(error::unexpected_response);
    // Work on a copy: a response that fails to verify must leave our initiation standing.
    handshake_state t;
    t.chaining_key = s.chaining_key;
    t.hash = s.hash;
    crypto::kdf1(t.chaining_key, t.chaining_key, msg.ephemeral);
    mix_hash(t.hash, msg.ephemeral);
    wiped_key shared, k;
    if (!dh(shared, s.local_ephemeral, msg.ephemeral)) return unexpected(error::low_order_key);
    crypto::kdf1(t.chaining_key, t.chaining_key, shared);
    if (!dh(shared, local.private_key, msg.ephemeral)) return unexpected(error::low_order_key);
    crypto::kdf1(t.chaining_key, t.chaining_key, shared);
    mix_preshared(t, remote.preshared_key, k);
    std::array<std::uint8_t, 0> nothing{};
    if (!open(nothing, k, msg.encrypted_nothing, t.hash))
        return unexpected(error::handshake_failed);
    mix_hash(t.hash, msg.encrypted_nothing);

    derive_transport(t, true, keys);
    keys.local_index = s.local_index;
    keys.remote_index = msg.sender;
    s.clear();
    return {};
}

// ---------------------------------------------------------------- TAI64N

tai64n make_tai64n(std::int64_t unix_ns) noexcept {
    constexpr std::uint64_t k_base = (std::uint64_t(1) << 62) + 10;
    constexpr std::uint32_t k_whitener = (1u << 24) - 1;
    const std::int64_t secs = unix_ns / 1'000'000'000;
    const std::uint32_t nanos = std::uint32_t(unix_ns % 1'000'000'000) & ~k_whitener;
    const std::uint64_t s = k_base + std::uint64_t(secs);
    tai64n t{};
    for (int i = 0; i < 8; ++i)
        t[std::size_t(i)] = std::uint8_t(s >> (56 - 8 * i));
    for (int i = 0; i < 4; ++i)
        t[std::size_t(8 + i)] = std::uint8_t(nanos >> (24 - 8 * i));
    return t;
}

bool is_later(const tai64n& a, const tai64n& b) noexcept {
    return std::memcmp(a.data(), b.data(), a.size()) > 0;
}

}  // namespace edge::wg
