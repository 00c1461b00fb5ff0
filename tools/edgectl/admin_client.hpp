#pragma once
// A GET to the proxy's admin endpoint (edgectl status): one request, bounded by a timeout, with
// the bearer token when the proxy wants one. Tools code: failures throw with what went wrong.

#include <chrono>
#include <string>

namespace edge::edgectl {

struct http_answer {
    int status = 0;
    std::string body;
};

/// GET `path` from `address` (IP:PORT, as --metrics/--admin takes it), with
/// "Authorization: Bearer TOKEN" when `token` is not empty. Throws std::runtime_error naming
/// the address when it cannot connect, or gets no whole answer within `timeout`.
http_answer admin_get(const std::string& address, const std::string& path, const std::string& token,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

/// The first line of a token file, trimmed; throws when unreadable or empty.
std::string read_token(const std::string& path);

/// GET `path` from the admin endpoint a command's flags name (--admin, else $EDGECTL_ADMIN, else
/// 127.0.0.1:9090; --token-file), as `command` ("status", "wg show") for its messages. Throws
/// unless the answer is 200.
std::string admin_fetch(const std::string* admin_flag, const std::string* token_file_flag,
                        const std::string& path, const std::string& command);

}  // namespace edge::edgectl
