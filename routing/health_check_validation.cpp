#include "routing/health_check_validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/strings.hpp"
#include "routing/field_checks.hpp"

namespace edge::routing {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// "2xx" → [200, 299]; "204" → [204, 204]; an INTEGER 204 too.
result<std::pair<std::uint16_t, std::uint16_t>, std::string> parse_status(const db_value& v) {
    if (v.t == db_value::type::integer || v.t == db_value::type::real) {
        auto n = need_integer(v, "http_status", 100, 599);
        if (!n) return unexpected(n.error());
        return std::pair{static_cast<std::uint16_t>(*n), static_cast<std::uint16_t>(*n)};
    }
    auto text = need_text(v, "http_status", true);
    if (!text) return unexpected(text.error());
    std::string s = lower(edge::trim(*text));
    if (s.empty()) return std::pair<std::uint16_t, std::uint16_t>{200, 299};
    if (s.size() == 3 && s[0] >= '1' && s[0] <= '5') {
        auto hundreds = static_cast<std::uint16_t>((s[0] - '0') * 100);
        if (s[1] == 'x' && s[2] == 'x')
            return std::pair{hundreds, static_cast<std::uint16_t>(hundreds + 99)};
        if (std::isdigit(static_cast<unsigned char>(s[1])) &&
            std::isdigit(static_cast<unsigned char>(s[2]))) {
            auto code = static_cast<std::uint16_t>(hundreds + (s[1] - '0') * 10 + (s[2] - '0'));
            return std::pair{code, code};
        }
    }
    return unexpected(
        fmt::format("http_status {} is not a status class (2xx) or code (200-599)", shown(v)));
}

result<std::string, std::string> byte_string(const db_value& v, const char* name) {
    auto text = need_text(v, name, true);
    if (!text) return unexpected(text.error());
    auto bytes = decode_escapes(*text, name);
    if (!bytes) return unexpected(bytes.error());
    if (bytes->size() > max_check_bytes)
        return unexpected(
            fmt::format("{} is {} bytes, more than {}", name, bytes->size(), max_check_bytes));
    return bytes;
}

}  // namespace

const char* to_string(health_check_kind k) noexcept {
    switch (k) {
        case health_check_kind::tcp:
            return "tcp";
        case health_check_kind::send_expect:
            return "send_expect";
        case health_check_kind::http:
            return "http";
    }
    return "tcp";
}

std::string health_check_label(const raw_health_check& row) {
    return fmt::format("health_checks {}", shown(row.id));
}

result<health_check, std::string> validate_health_check(const raw_health_check& row) {
    health_check hc;
    auto id = need_text(row.id, "id", false);
    if (!id) return unexpected(id.error());
    if (edge::trim(*id).empty()) return unexpected(std::string("id is empty"));
    hc.backend_id = std::move(*id);

    auto kind = need_text(row.kind, "kind", true);
    if (!kind) return unexpected(kind.error());
    std::string k = lower(edge::trim(*kind));
    if (k.empty() || k == "tcp")
        hc.kind = health_check_kind::tcp;
    else if (k == "send_expect")
        hc.kind = health_check_kind::send_expect;
    else if (k == "http")
        hc.kind = health_check_kind::http;
    else
        return unexpected(fmt::format("kind {} is not tcp, send_expect or http", shown(row.kind)));

    auto send = byte_string(row.send, "send");
    if (!send) return unexpected(send.error());
    auto expect = byte_string(row.expect, "expect");
    if (!expect) return unexpected(expect.error());
    if (hc.kind == health_check_kind::send_expect) {
        if (expect->empty())
            return unexpected(
                std::string("kind send_expect needs expect (the reply's first bytes)"));
        hc.send = std::move(*send);
        hc.expect = std::move(*expect);
    } else if (!send->empty() || !expect->empty()) {
        return unexpected(
            fmt::format("send/expect apply to kind send_expect, not {}", to_string(hc.kind)));
    }

    auto path = need_text(row.http_path, "http_path", true);
    if (!path) return unexpected(path.error());
    std::string_view p = edge::trim(*path);
    bool has_status = !row.http_status.is_null() && !(row.http_status.t == db_value::type::text &&
                                                      edge::trim(row.http_status.s).empty());
    if (hc.kind == health_check_kind::http) {
        if (!p.empty()) {
            if (p.front() != '/' || p.size() > 1024 || std::any_of(p.begin(), p.end(), [](char c) {
                    return c == ' ' || static_cast<unsigned char>(c) > 0x7e;
                }))
                return unexpected(
                    fmt::format("http_path {} is not a path starting with / "
                                "(no spaces, ASCII)",
                                shown(row.http_path)));
            hc.http_path = std::string(p);
        }
        auto status = parse_status(row.http_status);
        if (!status) return unexpected(status.error());
        hc.http_status_min = status->first;
        hc.http_status_max = status->second;
    } else if (!p.empty() || has_status) {
        return unexpected(
            fmt::format("http_path/http_status apply to kind http, not {}", to_string(hc.kind)));
    }

    struct {
        const db_value& v;
        const char* name;
        std::int64_t lo, hi;
        std::optional<std::uint32_t>& out;
    } ints[] = {{row.interval_ms, "interval_ms", 100, 3'600'000, hc.interval_ms},
                {row.timeout_ms, "timeout_ms", 10, 600'000, hc.timeout_ms},
                {row.rise, "rise", 1, 1000, hc.rise},
                {row.fall, "fall", 1, 1000, hc.fall},
                {row.jitter_ms, "jitter_ms", 0, 3'600'000, hc.jitter_ms}};
    for (auto& f : ints) {
        auto n = optional_integer(f.v, f.name, f.lo, f.hi);
        if (!n) return unexpected(n.error());
        if (*n) f.out = static_cast<std::uint32_t>(**n);
    }
    if (hc.interval_ms && hc.timeout_ms && *hc.timeout_ms > *hc.interval_ms)
        return unexpected(fmt::format("timeout_ms {} is longer than interval_ms {}", *hc.timeout_ms,
                                      *hc.interval_ms));
    if (hc.interval_ms && hc.jitter_ms && *hc.jitter_ms > *hc.interval_ms)
        return unexpected(fmt::format("jitter_ms {} is longer than interval_ms {}", *hc.jitter_ms,
                                      *hc.interval_ms));
    return hc;
}

}  // namespace edge::routing
