#pragma once
// GET /: the status page, one self-contained HTML document (no external assets, no framework;
// a small script reads GET /status every two seconds and draws the backends table, per-region
// counts and connection and byte rates from the difference between two readings). Data is set
// with textContent only, never parsed as HTML, so a backend id cannot inject markup.

#include <string_view>

namespace edge::engine {

/// The page's HTML. Any thread (a constant).
std::string_view status_page_html() noexcept;

/// The Content-Security-Policy the page is served with: nothing from elsewhere, scripts and
/// styles only inline, requests only back to this endpoint.
inline constexpr std::string_view status_page_csp =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

}  // namespace edge::engine
