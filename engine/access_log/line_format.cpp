// The access log's line formats (see line_format.hpp for the fields).

#include "engine/access_log/line_format.hpp"

#include <fmt/format.h>

#include <iterator>

#include "engine/json_text.hpp"
#include "engine/utc_time.hpp"

namespace edge::engine {

namespace {

std::string_view backend_id(const access_record& r) noexcept {
    return std::string_view(r.backend_id, r.id_length);
}

// A logfmt value: bare when it has no space, quote, '=' or control character, else quoted
// with \" \\ and \xNN escapes, so that one line is always one record.
void append_logfmt_value(std::string& out, std::string_view v) {
    bool bare = !v.empty();
    for (char ch : v) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) bare = false;
    }
    if (bare) {
        out += v;
        return;
    }
    out.push_back('"');
    for (char ch : v) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (c < ' ' || c == 0x7f) {
            fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
        } else {
            out.push_back(ch);
        }
    }
    out.push_back('"');
}

double ms(std::uint64_t ns) noexcept {
    return static_cast<double>(ns) / 1e6;
}

}  // namespace

std::optional<access_log_format> parse_access_log_format(std::string_view s) noexcept {
    if (s == "text") return access_log_format::text;
    if (s == "json") return access_log_format::json;
    return std::nullopt;
}

line_formatter::line_formatter(access_log_format f, std::vector<std::string> listeners)
    : format_(f), listeners_(std::move(listeners)) {}

void line_formatter::sample_clock_offset() noexcept {
    timespec rt{}, mono{};
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    offset_ns_ = (static_cast<std::int64_t>(rt.tv_sec) - mono.tv_sec) * 1000000000ll +
                 (static_cast<std::int64_t>(rt.tv_nsec) - mono.tv_nsec);
}

std::string_view line_formatter::listener(const access_record& r) const noexcept {
    return r.listener < listeners_.size() ? std::string_view(listeners_[r.listener])
                                          : std::string_view("-");
}

void line_formatter::append_time(std::uint64_t monotonic_ns, std::string& out) {
    std::int64_t real = static_cast<std::int64_t>(monotonic_ns) + offset_ns_;
    std::int64_t sec = real / 1000000000;
    auto milli = static_cast<int>((real % 1000000000) / 1000000);
    if (sec != cached_second_) {
        format_utc_seconds(cached_prefix_, sizeof(cached_prefix_), sec);
        cached_second_ = sec;
    }
    fmt::format_to(std::back_inserter(out), "{}.{:03}Z", cached_prefix_, milli);
}

void line_formatter::append(const access_record& r, std::string& out) {
    if (format_ == access_log_format::json)
        append_json(r, out);
    else
        append_text(r, out);
}

void line_formatter::append_text(const access_record& r, std::string& out) {
    auto o = std::back_inserter(out);
    out += "time=";
    append_time(r.accept_ns, out);
    out += " client=";
    out += r.client.empty() ? std::string("-") : to_string(r.client);
    out += " listener=";
    out += listener(r);
    std::string country = r.country.str();
    std::string region = r.region.known() ? r.region.str() : std::string();
    fmt::format_to(o, " country={} region={} backend=", country.empty() ? "-" : country,
                   region.empty() ? "-" : region);
    if (r.id_length == 0)
        out.push_back('-');
    else
        append_logfmt_value(
            out, r.id_cut ? std::string(backend_id(r)) + "~" : std::string(backend_id(r)));
    out += " backend_addr=";
    out += r.backend.empty() ? std::string("-") : to_string(r.backend);
    fmt::format_to(o, " attempts={} connect_ms=", r.attempts);
    if (r.connect_us != 0)
        fmt::format_to(o, "{:.3f}", static_cast<double>(r.connect_us) / 1000.0);
    else
        out.push_back('-');
    fmt::format_to(o, " bytes_up={} bytes_down={} duration_ms={:.3f} term={} reason={}\n",
                   r.bytes_up, r.bytes_down, ms(r.end_ns - r.accept_ns),
                   termination_flags[std::size_t(r.end)], termination_names[std::size_t(r.end)]);
}

void line_formatter::append_json(const access_record& r, std::string& out) {
    auto o = std::back_inserter(out);
    auto string_or_null = [&](std::string_view s) {
        if (s.empty())
            out += "null";
        else
            append_json_string(out, s);
    };
    out += "{\"time\":\"";
    append_time(r.accept_ns, out);
    out += "\",\"client\":";
    string_or_null(r.client.empty() ? std::string() : host_string(r.client));
    fmt::format_to(o, ",\"client_port\":{},\"listener\":", r.client.port());
    string_or_null(listener(r));
    out += ",\"country\":";
    string_or_null(r.country.str());
    out += ",\"region\":";
    string_or_null(r.region.known() ? r.region.str() : std::string());
    out += ",\"backend\":";
    string_or_null(r.id_cut ? std::string(backend_id(r)) + "~" : std::string(backend_id(r)));
    out += ",\"backend_addr\":";
    string_or_null(r.backend.empty() ? std::string() : to_string(r.backend));
    fmt::format_to(o, ",\"attempts\":{},\"connect_ms\":", r.attempts);
    if (r.connect_us != 0)
        fmt::format_to(o, "{:.3f}", static_cast<double>(r.connect_us) / 1000.0);
    else
        out += "null";
    fmt::format_to(o,
                   ",\"bytes_up\":{},\"bytes_down\":{},\"duration_ms\":{:.3f},\"term\":\"{}\","
                   "\"reason\":\"{}\"}}\n",
                   r.bytes_up, r.bytes_down, ms(r.end_ns - r.accept_ns),
                   termination_flags[std::size_t(r.end)], termination_names[std::size_t(r.end)]);
}

}  // namespace edge::engine
