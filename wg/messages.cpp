// Byte layouts of the four messages, little-endian integers (whitepaper §5.4):
//   initiation  1 | 0 0 0 | sender:4 | ephemeral:32 | static:32+16 | timestamp:12+16 | mac1 | mac2
//   response    2 | 0 0 0 | sender:4 | receiver:4 | ephemeral:32 | empty:0+16 | mac1 | mac2
//   cookie      3 | 0 0 0 | receiver:4 | nonce:24 | cookie:16+16
//   data        4 | 0 0 0 | receiver:4 | counter:8 | packet:n+16
#include "wg/messages.hpp"

#include <cstring>

namespace edge::wg {
namespace {

using detail::load_le32;
using detail::load_le64;
using detail::store_le32;
using detail::store_le64;

template <std::size_t N>
void take(std::array<std::uint8_t, N>& to, const std::uint8_t*& from) noexcept {
    std::memcpy(to.data(), from, N);
    from += N;
}

template <std::size_t N>
void put(std::uint8_t*& to, const std::array<std::uint8_t, N>& from) noexcept {
    std::memcpy(to, from.data(), N);
    to += N;
}

void put_type(std::uint8_t* out, message_type t) noexcept {
    out[0] = std::uint8_t(t);
    out[1] = out[2] = out[3] = 0;
}

// The expected type's exact shape, or why not.
error check(std::span<const std::uint8_t> d, message_type want) noexcept {
    auto t = classify(d);
    if (!t) return t.error();
    return *t == want ? error::none : error::bad_type;
}

}  // namespace

result<message_type, error> classify(std::span<const std::uint8_t> d) noexcept {
    if (d.size() < 4) return unexpected(error::bad_length);
    if (d[1] != 0 || d[2] != 0 || d[3] != 0) return unexpected(error::bad_type);
    switch (d[0]) {
        case 1:
            if (d.size() != initiation_size) return unexpected(error::bad_length);
            return message_type::initiation;
        case 2:
            if (d.size() != response_size) return unexpected(error::bad_length);
            return message_type::response;
        case 3:
            if (d.size() != cookie_reply_size) return unexpected(error::bad_length);
            return message_type::cookie_reply;
        case 4:
            if (d.size() < keepalive_size || d.size() > max_data_size)
                return unexpected(error::bad_length);
            return message_type::data;
        default:
            return unexpected(error::bad_type);
    }
}

result<initiation_message, error> parse_initiation(std::span<const std::uint8_t> d) noexcept {
    if (error e = check(d, message_type::initiation); e != error::none) return unexpected(e);
    initiation_message m;
    const std::uint8_t* p = d.data() + 4;
    m.sender = load_le32(p);
    p += 4;
    take(m.ephemeral, p);
    take(m.encrypted_static, p);
    take(m.encrypted_timestamp, p);
    take(m.mac1, p);
    take(m.mac2, p);
    return m;
}

result<response_message, error> parse_response(std::span<const std::uint8_t> d) noexcept {
    if (error e = check(d, message_type::response); e != error::none) return unexpected(e);
    response_message m;
    const std::uint8_t* p = d.data() + 4;
    m.sender = load_le32(p);
    m.receiver = load_le32(p + 4);
    p += 8;
    take(m.ephemeral, p);
    take(m.encrypted_nothing, p);
    take(m.mac1, p);
    take(m.mac2, p);
    return m;
}

result<cookie_reply_message, error> parse_cookie_reply(std::span<const std::uint8_t> d) noexcept {
    if (error e = check(d, message_type::cookie_reply); e != error::none) return unexpected(e);
    cookie_reply_message m;
    const std::uint8_t* p = d.data() + 4;
    m.receiver = load_le32(p);
    p += 4;
    take(m.nonce, p);
    take(m.encrypted_cookie, p);
    return m;
}

result<data_header, error> parse_data_header(std::span<const std::uint8_t> d) noexcept {
    if (error e = check(d, message_type::data); e != error::none) return unexpected(e);
    return data_header{load_le32(d.data() + 4), load_le64(d.data() + 8)};
}

void format(const initiation_message& m, std::span<std::uint8_t, initiation_size> out) noexcept {
    put_type(out.data(), message_type::initiation);
    std::uint8_t* p = out.data() + 4;
    store_le32(p, m.sender);
    p += 4;
    put(p, m.ephemeral);
    put(p, m.encrypted_static);
    put(p, m.encrypted_timestamp);
    put(p, m.mac1);
    put(p, m.mac2);
}

void format(const response_message& m, std::span<std::uint8_t, response_size> out) noexcept {
    put_type(out.data(), message_type::response);
    std::uint8_t* p = out.data() + 4;
    store_le32(p, m.sender);
    store_le32(p + 4, m.receiver);
    p += 8;
    put(p, m.ephemeral);
    put(p, m.encrypted_nothing);
    put(p, m.mac1);
    put(p, m.mac2);
}

void format(const cookie_reply_message& m,
            std::span<std::uint8_t, cookie_reply_size> out) noexcept {
    put_type(out.data(), message_type::cookie_reply);
    std::uint8_t* p = out.data() + 4;
    store_le32(p, m.receiver);
    p += 4;
    put(p, m.nonce);
    put(p, m.encrypted_cookie);
}

void format(const data_header& h, std::span<std::uint8_t, data_header_size> out) noexcept {
    put_type(out.data(), message_type::data);
    store_le32(out.data() + 4, h.receiver);
    store_le64(out.data() + 8, h.counter);
}

}  // namespace edge::wg
