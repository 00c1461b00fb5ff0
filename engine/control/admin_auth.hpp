#pragma once
// The admin endpoint's bearer token (--admin-token-file). With a token, a request is answered
// only when it carries "Authorization: Bearer TOKEN" — or, for a browser opening the status
// page, "Authorization: Basic" with TOKEN as the password (any user name), which browsers ask
// for themselves after a 401 with WWW-Authenticate: Basic. The comparison takes the same time
// wherever the first difference is, so response times do not reveal the token byte by byte.
// Control thread.

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace edge::engine {

class admin_auth {
  public:
    /// No token: every request is allowed.
    admin_auth() = default;
    explicit admin_auth(std::string token) : token_(std::move(token)) {}

    bool enabled() const noexcept { return !token_.empty(); }
    /// True when `request_head` (the request line and headers) carries the token, or no token
    /// is configured.
    bool allows(std::string_view request_head) const noexcept;

  private:
    std::string token_;
};

/// The value of header `name` (case-insensitive) in a request head, without surrounding
/// blanks; empty when absent.
std::string_view find_header(std::string_view head, std::string_view name) noexcept;
/// a == b in time that depends on their lengths only.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;
/// Reads a token file: its first line, without surrounding blanks. The error says why it cannot
/// be used (unreadable, empty). Start-up.
result<std::string, std::string> read_token_file(const std::string& path);

}  // namespace edge::engine
