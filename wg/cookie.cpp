#include "wg/cookie.hpp"

#include <cstring>

#include "wg/crypto/blake2s.hpp"
#include "wg/crypto/secret.hpp"
#include "wg/crypto/xchacha20poly1305.hpp"

namespace edge::wg {
namespace {

namespace crypto = edge::wg::crypto;

// MAC(key, msg) is keyed BLAKE2s-128 (§5.4.4).
void mac_of(mac& out, std::span<const std::uint8_t> k, std::span<const std::uint8_t> msg) noexcept {
    crypto::blake2s_hash(out, msg, k);
}

// mac1 covers everything before it; mac2 everything before it (so mac1 too).
std::span<const std::uint8_t> mac1_input(std::span<const std::uint8_t> msg) noexcept {
    return msg.first(msg.size() - 2 * mac_size);
}
std::span<const std::uint8_t> mac2_input(std::span<const std::uint8_t> msg) noexcept {
    return msg.first(msg.size() - mac_size);
}
std::span<const std::uint8_t> mac1_of(std::span<const std::uint8_t> msg) noexcept {
    return msg.subspan(msg.size() - 2 * mac_size, mac_size);
}
std::span<const std::uint8_t> mac2_of(std::span<const std::uint8_t> msg) noexcept {
    return msg.last(mac_size);
}

bool is_live(time_ns born, time_ns now) noexcept {
    return born != no_deadline && now >= born && now - born < cookie_lifetime;
}

}  // namespace

cookie_checker::cookie_checker(const key& mac1_key, const key& cookie_key) noexcept
    : mac1_key_(mac1_key), cookie_key_(cookie_key) {}

cookie_checker::~cookie_checker() {
    crypto::secure_wipe(std::span(secret_));
}

bool cookie_checker::is_mac1_valid(std::span<const std::uint8_t> msg) const noexcept {
    mac want{};
    mac_of(want, mac1_key_, mac1_input(msg));
    return crypto::constant_time_equal(want, mac1_of(msg));
}

void cookie_checker::cookie_for(mac& out, const socket_address& source, time_ns now,
                                random_source& rng) noexcept {
    // τ := MAC(R_m, A_m): the secret changes every two minutes; A_m is the source IP and port.
    if (!is_live(secret_born_, now)) {
        rng.fill(secret_);
        secret_born_ = now;
    }
    std::uint8_t addr[18]{};
    std::size_t n = 0;
    if (source.family() == AF_INET) {
        std::memcpy(addr, &source.addr.v4.sin_addr, 4);
        n = 4;
    } else if (source.family() == AF_INET6) {
        std::memcpy(addr, &source.addr.v6.sin6_addr, 16);
        n = 16;
    }
    const std::uint16_t port = source.port();
    addr[n++] = std::uint8_t(port >> 8);
    addr[n++] = std::uint8_t(port);
    mac_of(out, secret_, std::span<const std::uint8_t>(addr, n));
}

bool cookie_checker::is_mac2_valid(std::span<const std::uint8_t> msg, const socket_address& source,
                                   time_ns now, random_source& rng) noexcept {
    if (!is_live(secret_born_, now)) return false;  // no cookie of ours can be current
    mac cookie{}, want{};
    cookie_for(cookie, source, now, rng);
    mac_of(want, cookie, mac2_input(msg));
    return crypto::constant_time_equal(want, mac2_of(msg));
}

cookie_reply_message cookie_checker::make_reply(std::span<const std::uint8_t> msg,
                                                std::uint32_t sender, const socket_address& source,
                                                time_ns now, random_source& rng) noexcept {
    cookie_reply_message reply;
    reply.receiver = sender;
    rng.fill(reply.nonce);
    mac cookie{};
    cookie_for(cookie, source, now, rng);
    // msg.cookie := XAEAD(HASH("cookie--" || S_pub_m), nonce, τ, mac1 of the message)
    crypto::xaead_seal(reply.encrypted_cookie, cookie, mac1_of(msg), cookie_key_, reply.nonce);
    return reply;
}

cookie_generator::cookie_generator(const key& mac1_key, const key& cookie_key) noexcept
    : mac1_key_(mac1_key), cookie_key_(cookie_key) {}

cookie_generator::~cookie_generator() {
    crypto::secure_wipe(std::span(cookie_));
}

void cookie_generator::stamp(std::span<std::uint8_t> msg, time_ns now) noexcept {
    mac m1{};
    mac_of(m1, mac1_key_, mac1_input(msg));
    std::memcpy(msg.data() + msg.size() - 2 * mac_size, m1.data(), mac_size);
    last_mac1_ = m1;
    has_last_mac1_ = true;
    mac m2{};
    if (is_live(cookie_born_, now)) mac_of(m2, cookie_, mac2_input(msg));
    std::memcpy(msg.data() + msg.size() - mac_size, m2.data(), mac_size);
}

result<void, error> cookie_generator::consume_reply(const cookie_reply_message& reply,
                                                    time_ns now) noexcept {
    if (!has_last_mac1_) return unexpected(error::unexpected_response);
    mac cookie{};
    if (!crypto::xaead_open(cookie, reply.encrypted_cookie, last_mac1_, cookie_key_, reply.nonce))
        return unexpected(error::bad_cookie_reply);
    cookie_ = cookie;
    cookie_born_ = now;
    has_last_mac1_ = false;  // one reply per message we sent
    return {};
}

}  // namespace edge::wg
