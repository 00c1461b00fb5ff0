#include "engine/health/check_spec.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.hpp"

namespace edge::engine::health {

namespace {

std::uint32_t ms(std::chrono::milliseconds d) {
    return static_cast<std::uint32_t>(std::min<std::int64_t>(d.count(), UINT32_MAX));
}

// The flags' timing, with a row's fields where it has them. The fast interval is never slower
// than the interval and the down interval never faster; the timeout and jitter never exceed the
// interval (the row's validation already holds its own to that).
check_timing timing_for(const health_options& o, const routing::health_check* row) {
    check_timing t;
    t.interval_ms = row && row->interval_ms ? *row->interval_ms : ms(o.interval);
    t.fast_ms = std::min(ms(o.fast_interval), t.interval_ms);
    t.down_ms = std::max(ms(o.down_interval), t.interval_ms);
    t.timeout_ms = row && row->timeout_ms ? *row->timeout_ms : ms(o.timeout);
    if (t.interval_ms != 0) t.timeout_ms = std::min(t.timeout_ms, t.interval_ms);
    t.timeout_ms = std::max<std::uint32_t>(t.timeout_ms, 1);
    std::uint32_t jitter = o.jitter ? ms(*o.jitter) : t.interval_ms / 10;
    t.jitter_ms = std::min(row && row->jitter_ms ? *row->jitter_ms : jitter, t.interval_ms);
    t.rise = row && row->rise ? *row->rise : o.rise;
    t.fall = row && row->fall ? *row->fall : o.fall;
    return t;
}

}  // namespace

std::shared_ptr<const check_spec> default_spec(const health_options& o) {
    auto s = std::make_shared<check_spec>();
    s->timing = timing_for(o, nullptr);
    return s;
}

std::shared_ptr<const check_spec> spec_for(const health_options& o,
                                           const routing::health_check& row,
                                           const socket_address& address) {
    auto s = std::make_shared<check_spec>();
    s->from_row = true;
    s->kind = row.kind;
    s->timing = timing_for(o, &row);
    switch (row.kind) {
        case routing::health_check_kind::tcp:
            break;
        case routing::health_check_kind::send_expect:
            s->request = row.send;
            s->expect = row.expect;
            break;
        case routing::health_check_kind::http:
            // HTTP/1.0 with Connection: close: the backend ends the exchange itself, and only
            // the status line is read.
            s->request = fmt::format(
                "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: edgeproxy-health-check\r\n"
                "Connection: close\r\n\r\n",
                row.http_path, to_string(address));
            s->status_min = row.http_status_min;
            s->status_max = row.http_status_max;
            break;
    }
    return s;
}

std::string describe(const check_spec& s) {
    switch (s.kind) {
        case routing::health_check_kind::tcp:
            return "tcp connect";
        case routing::health_check_kind::send_expect:
            return fmt::format("send '{}' expect '{}'", escape_control(s.request),
                               escape_control(s.expect));
        case routing::health_check_kind::http: {
            std::string_view req(s.request);
            std::string_view line = req.substr(0, req.find('\r'));
            if (s.status_min == s.status_max)
                return fmt::format("http {} expect {}", line, s.status_min);
            return fmt::format("http {} expect {}xx", line, s.status_min / 100);
        }
    }
    return "tcp connect";
}

}  // namespace edge::engine::health
