#pragma once
// Whether the bytes a backend answered a check with pass it, as pure code over what has arrived
// so far: send/expect (the reply starts with the expected bytes) and HTTP (the status line's code
// is within a range). Untrusted input: any bytes, any length, never a crash.

#include <cstdint>
#include <string_view>

namespace edge::engine::health {

enum class reply_verdict : std::uint8_t {
    need_more,  // consistent so far; wait for more bytes (or the deadline, or EOF)
    pass,
    mismatch,
};

/// send_expect: the reply must start with `expect` (more bytes after it are ignored). Any thread.
reply_verdict check_expect(std::string_view got, std::string_view expect) noexcept;

/// http: "HTTP/<version> <code>" with `code` in [min, max]; the reason phrase and headers are
/// ignored. A status line not seen within the first 256 bytes is a mismatch. `at_end`: no more
/// bytes will come (the backend closed), so a code that ends the reply counts. Any thread.
reply_verdict check_http_status(std::string_view got, std::uint16_t min, std::uint16_t max,
                                bool at_end = false) noexcept;

}  // namespace edge::engine::health
