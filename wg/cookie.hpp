#pragma once
// The cookie mechanism (whitepaper §5.3 and §5.4.4, §5.4.7): mac1 proves a handshake message was
// meant for our public key and is checked before any DH; under load, mac2 proves the sender can
// receive at its source address, which costs an attacker a round trip per spoofed source.
//
// cookie_checker is our side as a receiver (check mac1/mac2, answer with a cookie reply);
// cookie_generator is one peer's side as a sender (stamp mac1/mac2 on what we send it, keep the
// cookie it gave us). Both belong to the control (handshake) thread.

#include <cstdint>
#include <span>

#include "base/result.hpp"
#include "base/socket_address.hpp"
#include "wg/errors.hpp"
#include "wg/messages.hpp"
#include "wg/random.hpp"
#include "wg/types.hpp"

namespace edge::wg {

/// Cookie secrets and received cookies live 120 s (whitepaper §6.1, Rekey-After-Time: "the
/// cookie secret changes every two minutes").
inline constexpr time_ns cookie_lifetime = std::chrono::seconds(120);

class cookie_checker {
  public:
    /// Our mac1 and cookie keys (local_identity::mac1_key / cookie_key). Control thread.
    cookie_checker(const key& mac1_key, const key& cookie_key) noexcept;
    ~cookie_checker();

    /// Whether mac1 (the 16 bytes before mac2) is right for this handshake message. Any size of
    /// classified initiation or response. Control thread.
    bool is_mac1_valid(std::span<const std::uint8_t> msg) const noexcept;
    /// Whether mac2 is the MAC of the message under the cookie we would give `source` now.
    /// Control thread.
    bool is_mac2_valid(std::span<const std::uint8_t> msg, const socket_address& source, time_ns now,
                       random_source& rng) noexcept;
    /// The cookie reply to a message (mac1 already checked) from `source`, sealed for its sender
    /// index. Control thread.
    cookie_reply_message make_reply(std::span<const std::uint8_t> msg, std::uint32_t sender,
                                    const socket_address& source, time_ns now,
                                    random_source& rng) noexcept;

  private:
    void cookie_for(mac& out, const socket_address& source, time_ns now,
                    random_source& rng) noexcept;

    key mac1_key_{};
    key cookie_key_{};
    key secret_{};
    time_ns secret_born_ = no_deadline;  // no secret yet
};

class cookie_generator {
  public:
    /// The peer's mac1 and cookie keys (remote_identity::mac1_key / cookie_key). Control thread.
    cookie_generator(const key& mac1_key, const key& cookie_key) noexcept;
    ~cookie_generator();

    /// Writes mac1, and mac2 when we hold a live cookie from the peer (zeros otherwise), into
    /// the last 32 bytes of a formatted initiation or response. Control thread.
    void stamp(std::span<std::uint8_t> msg, time_ns now) noexcept;
    /// Takes the cookie from a reply to the last message we stamped. Control thread.
    result<void, error> consume_reply(const cookie_reply_message& reply, time_ns now) noexcept;

  private:
    key mac1_key_{};
    key cookie_key_{};
    mac last_mac1_{};
    bool has_last_mac1_ = false;
    mac cookie_{};
    time_ns cookie_born_ = no_deadline;  // no cookie
};

}  // namespace edge::wg
