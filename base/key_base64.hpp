#pragma once
// WireGuard's key text: 32 bytes as 44 characters of standard base64 ending in '=' (the format of
// wireguard-tools' `wg genkey` and wg-quick files). Shared by edgectl (keys), routing/ (the
// wg_peers table) and wg/ (configuration), so every part accepts exactly the same text. Branch-
// and table-free, as in wireguard-tools, because it also handles private and preshared keys.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edge {

using key_bytes = std::array<std::uint8_t, 32>;

/// Length of a key's base64 text.
inline constexpr std::size_t key_base64_length = 44;

/// The 44-character text of `k`. Any thread.
std::string key_to_base64(const key_bytes& k);

/// The key in `text` when it is exactly the canonical 44-character encoding of 32 bytes (as
/// wireguard-tools' key_from_base64 requires), else nullopt; a partly decoded key is wiped. Any
/// thread.
std::optional<key_bytes> key_from_base64(std::string_view text);

}  // namespace edge
