#pragma once
// The PROXY protocol (HAProxy's proxy-protocol.txt), versions 1 (text) and 2 (binary), as pure
// code: no I/O, no allocation, no clock. A front load balancer prepends a header carrying the
// client's real address; we parse it on accepted connections (--proxy-protocol) and write one
// towards backends that ask for it (send-proxy).
//
// Parsing is stateless and restartable: the caller keeps the bytes received so far and calls
// parse_proxy_header() on all of them after each read, until it says done or malformed. A call
// never reads past the span it is given and never looks at more than the header's own bytes, so
// the caller knows exactly where the client's payload starts (header.length). The version is
// detected from the first bytes; anything that is neither signature is malformed (not_proxy):
// on a listener that expects PROXY, guessing would let a client forge its address.

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.hpp"
#include "base/socket_address.hpp"

namespace edge::engine {

/// The longest v1 header, CRLF included (the specification's bound).
inline constexpr std::size_t proxy_v1_max_length = 107;
/// The fixed part of a v2 header: signature, version/command, family, length.
inline constexpr std::size_t proxy_v2_fixed_length = 16;
/// Default bound on a whole v2 header, TLVs included: room for IPv6 addresses plus typical
/// load-balancer TLVs (AWS VPC endpoint id, Azure link id, authority, SSL summary).
inline constexpr std::size_t proxy_v2_default_max_length = proxy_v2_fixed_length + 512;
/// The longest header format_proxy_header() writes (v1 TCP6 with the longest addresses).
inline constexpr std::size_t proxy_max_formatted_length = proxy_v1_max_length;

enum class proxy_version : std::uint8_t { v1 = 1, v2 = 2 };

/// What the header says about the addresses.
enum class proxy_kind : std::uint8_t {
    proxy,    // source and destination are the real client and the address it connected to
    local,    // v2 LOCAL: the sender's own connection (health check); use the socket's addresses
    unknown,  // v1 UNKNOWN, or v2 PROXY with an unspecified/UNIX family: use the socket's addresses
};

enum class proxy_parse_status : std::uint8_t { need_more, done, malformed };

/// Why a header was refused; each reason is counted separately by the engine.
enum class proxy_error : std::uint8_t {
    none,
    not_proxy,         // the first bytes match neither the v1 nor the v2 signature
    v1_too_long,       // no CRLF within 107 bytes
    v1_bad_syntax,     // bad separators, stray control bytes, missing fields
    v1_bad_protocol,   // not TCP4, TCP6 or UNKNOWN
    v1_bad_address,    // not an address of the protocol's family
    v1_bad_port,       // not a decimal number 0-65535
    v2_bad_version,    // version nibble other than 2
    v2_bad_command,    // command other than LOCAL or PROXY
    v2_bad_family,     // address family or transport nibble out of range
    v2_too_long,       // declared length past the configured bound
    v2_short_address,  // declared length shorter than the family's addresses
};

/// Name of a proxy_error for metrics labels and logs ("v1_bad_port"); any thread.
const char* describe(proxy_error e) noexcept;

struct proxy_header {
    proxy_version version = proxy_version::v1;
    proxy_kind kind = proxy_kind::unknown;
    /// Bytes of the header, TLVs included: the client's payload starts right after.
    std::size_t length = 0;
    /// Set (len > 0) only when kind == proxy.
    socket_address source;
    socket_address destination;
};

struct proxy_parse_result {
    proxy_parse_status status = proxy_parse_status::need_more;
    proxy_error error = proxy_error::none;  // when malformed
    /// When need_more: the smallest total number of bytes that can make progress (exact for v2
    /// once its fixed part is in; otherwise one more than given).
    std::size_t need = 0;
    proxy_header header;  // when done
};

/// Parses a PROXY header at the start of `data` (all bytes received so far on the connection).
/// v2 headers longer than `v2_max_length` (clamped to 16..16+65535) are malformed. Any thread;
/// no allocation; reads only data[0 .. header length).
proxy_parse_result parse_proxy_header(
    std::span<const std::uint8_t> data,
    std::size_t v2_max_length = proxy_v2_default_max_length) noexcept;

enum class proxy_format_error : std::uint8_t { buffer_too_small };

/// Writes a PROXY header for a connection from `source` to `destination` into `out` and returns
/// its length. Both IPv4 (plain or IPv4-mapped IPv6) gives TCP4 / AF_INET; otherwise both are
/// written as IPv6 (IPv4 as IPv4-mapped) with TCP6 / AF_INET6. An address of another family, or
/// len 0, gives v1 "PROXY UNKNOWN" / v2 PROXY with AF_UNSPEC. proxy_max_formatted_length bytes
/// always suffice. Any thread; no allocation.
result<std::size_t, proxy_format_error> format_proxy_header(proxy_version v,
                                                            const socket_address& source,
                                                            const socket_address& destination,
                                                            std::span<std::uint8_t> out) noexcept;

/// Writes a v2 LOCAL header (the sender's own connection, e.g. a health check). Any thread.
result<std::size_t, proxy_format_error> format_proxy_v2_local(std::span<std::uint8_t> out) noexcept;

}  // namespace edge::engine
