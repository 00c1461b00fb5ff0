#pragma once
// Standard base64 (RFC 4648, with padding) for bytes that are not secret: the etcd gateway's
// keys and values, HTTP Basic credentials. (WireGuard keys have their own constant-time codec,
// base/key_base64.hpp.)

#include <optional>
#include <string>
#include <string_view>

namespace edge {

/// Standard base64 with padding. Any thread.
std::string base64_encode(std::string_view bytes);
/// The bytes of standard base64 text (padded to a multiple of 4), or nullopt when it is not
/// base64. Any thread.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace edge
