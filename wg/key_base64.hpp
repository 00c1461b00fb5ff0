#pragma once
// WireGuard keys as text: 44 characters of standard base64, exactly as `wg genkey` / `wg pubkey`
// print them and wg-quick files hold them. Branch-free and table-free, as in wireguard-tools,
// because the text may be a private key (no timing or cache trace of its characters).

#include <optional>
#include <string>
#include <string_view>

#include "wg/types.hpp"

namespace edge::wg {

inline constexpr std::size_t key_base64_size = 44;

/// The canonical 44-character encoding of a key. Any thread.
std::string key_to_base64(const key& k);
/// The key, when `text` is exactly a canonical encoding (like wireguard-tools' key_from_base64);
/// the caller wipes `text` if it held a secret. Any thread.
std::optional<key> key_from_base64(std::string_view text) noexcept;

}  // namespace edge::wg
