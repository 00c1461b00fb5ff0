#pragma once
// Validation of the optional `health_checks` table (issue 14): a row becomes a
// routing::health_check or is rejected alone with its reason. Used by the loader and the writer
// alike. Control thread and tools.

#include <string>

#include "base/result.hpp"
#include "routing/rows.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// Largest send or expect byte string, after escapes are decoded.
inline constexpr std::size_t max_check_bytes = 1024;

/// "tcp", "send_expect", "http".
const char* to_string(health_check_kind k) noexcept;

/// How a health_checks row is named in a rejection: "health_checks 'ID'".
std::string health_check_label(const raw_health_check& row);

/// Validates one row: id (a backend id); kind tcp (default), send_expect (expect required) or
/// http; send/expect as text with escapes (\r \n \t \0 \\ \xHH), only for send_expect; http_path
/// ("/" by default) and http_status ("2xx" by default, or one code such as "204"), only for
/// http; interval_ms 100–3,600,000, timeout_ms 10–600,000 and not above the interval, rise and
/// fall 1–1000, jitter_ms 0–3,600,000 and not above the interval: each NULL for the proxy's
/// default. Any thread.
result<health_check, std::string> validate_health_check(const raw_health_check& row);

}  // namespace edge::routing
