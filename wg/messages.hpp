#pragma once
// The four WireGuard messages (whitepaper §5.4.2-5.4.7): layouts, parsing and formatting. Parsing
// checks the type (first byte 1-4, three reserved zero bytes) and the exact length of that type
// before reading any field, so no later code ever looks at a datagram of the wrong shape.
// Handshake messages are copied into fixed structs (they are rare and small); a data message is
// never copied: its header is read where it lies and its payload decrypted in place.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.hpp"
#include "wg/errors.hpp"
#include "wg/types.hpp"

namespace edge::wg {

enum class message_type : std::uint8_t { initiation = 1, response = 2, cookie_reply = 3, data = 4 };

inline constexpr std::size_t initiation_size = 148;
inline constexpr std::size_t response_size = 92;
inline constexpr std::size_t cookie_reply_size = 64;
inline constexpr std::size_t data_header_size = 16;  ///< type, receiver index, counter
inline constexpr std::size_t tag_size = 16;          ///< Poly1305 tag after every AEAD field
inline constexpr std::size_t keepalive_size = data_header_size + tag_size;  ///< empty data
inline constexpr std::size_t mac_size = 16;
/// The largest datagram a data message can be: the 16-byte header, 65535 bytes of IP packet
/// padded to 16, and the tag.
inline constexpr std::size_t max_data_size = data_header_size + 65536 + tag_size;

using mac = std::array<std::uint8_t, mac_size>;

/// Handshake initiation, initiator → responder (§5.4.2).
struct initiation_message {
    std::uint32_t sender = 0;
    key ephemeral{};
    std::array<std::uint8_t, 32 + tag_size> encrypted_static{};
    std::array<std::uint8_t, 12 + tag_size> encrypted_timestamp{};
    mac mac1{};
    mac mac2{};
};

/// Handshake response, responder → initiator (§5.4.3).
struct response_message {
    std::uint32_t sender = 0;
    std::uint32_t receiver = 0;
    key ephemeral{};
    std::array<std::uint8_t, tag_size> encrypted_nothing{};
    mac mac1{};
    mac mac2{};
};

/// Cookie reply, sent instead of a response when under load (§5.4.7).
struct cookie_reply_message {
    std::uint32_t receiver = 0;
    std::array<std::uint8_t, 24> nonce{};
    std::array<std::uint8_t, 16 + tag_size> encrypted_cookie{};
};

/// The header of a transport data message (§5.4.6); the payload follows it in the datagram.
struct data_header {
    std::uint32_t receiver = 0;
    std::uint64_t counter = 0;
};

/// The message's type after checking the type field and the exact length of that type
/// (error::bad_type / error::bad_length otherwise). Any thread.
result<message_type, error> classify(std::span<const std::uint8_t> datagram) noexcept;

/// Parse a datagram already classified as that type (checks again; cheap). Any thread.
result<initiation_message, error> parse_initiation(std::span<const std::uint8_t> d) noexcept;
result<response_message, error> parse_response(std::span<const std::uint8_t> d) noexcept;
result<cookie_reply_message, error> parse_cookie_reply(std::span<const std::uint8_t> d) noexcept;
result<data_header, error> parse_data_header(std::span<const std::uint8_t> d) noexcept;

/// Format a message into exactly its size in bytes (mac fields as given). Any thread.
void format(const initiation_message& m, std::span<std::uint8_t, initiation_size> out) noexcept;
void format(const response_message& m, std::span<std::uint8_t, response_size> out) noexcept;
void format(const cookie_reply_message& m, std::span<std::uint8_t, cookie_reply_size> out) noexcept;
void format(const data_header& h, std::span<std::uint8_t, data_header_size> out) noexcept;

/// The receiver index a response, cookie reply or data message is addressed to, read without a
/// full parse (the datagram must have been classified). Any thread.
std::uint32_t receiver_index(std::span<const std::uint8_t> classified) noexcept;

// ---- inline definitions ----

namespace detail {
inline std::uint32_t load_le32(const std::uint8_t* p) noexcept {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
           std::uint32_t(p[3]) << 24;
}
inline std::uint64_t load_le64(const std::uint8_t* p) noexcept {
    return std::uint64_t(load_le32(p)) | std::uint64_t(load_le32(p + 4)) << 32;
}
inline void store_le32(std::uint8_t* p, std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i)
        p[i] = std::uint8_t(v >> (8 * i));
}
inline void store_le64(std::uint8_t* p, std::uint64_t v) noexcept {
    store_le32(p, std::uint32_t(v));
    store_le32(p + 4, std::uint32_t(v >> 32));
}
}  // namespace detail

inline std::uint32_t receiver_index(std::span<const std::uint8_t> classified) noexcept {
    // Response: type, sender, receiver; cookie reply and data: type, receiver.
    return detail::load_le32(classified.data() + (classified[0] == 2 ? 8 : 4));
}

}  // namespace edge::wg
