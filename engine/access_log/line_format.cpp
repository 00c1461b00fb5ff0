// The access log's line formats (see line_format.hpp for the fields).

#include "engine/access_log/line_format.hpp"

#include <fmt/format.h>

#include <iterator>

#include "engine/codec/json_text.hpp"
#include "engine/codec/utc_time.hpp"

namespace edge::engine {

namespace {

std::string_view backend_id(const access_record& r) noexcept {
    return std::string_view(r.backend_id, r.id_length);
}

// Numbers and fixed-point values are written with integer arithmetic: the log thread formats
// one line per connection, and a format string parsed per field or a float conversion is most
// of what a line costs.
void append_uint(std::string& out, std::uint64_t v) {
    fmt::format_int n(v);
    out.append(n.data(), n.size());
}

void append_three_digits(std::string& out, unsigned v) {
    out.push_back(static_cast<char>('0' + v / 100 % 10));
    out.push_back(static_cast<char>('0' + v / 10 % 10));
    out.push_back(static_cast<char>('0' + v % 10));
}

/// `thousandths` / 1000 with three decimals: µs as "0.412" ms.
void append_thousandths(std::string& out, std::uint64_t thousandths) {
    append_uint(out, thousandths / 1000);
    out.push_back('.');
    append_three_digits(out, static_cast<unsigned>(thousandths % 1000));
}

void append_address_or(std::string& out, const socket_address& a, const char* none) {
    if (a.empty())
        out += none;
    else
        append_to_string(out, a);
}

void append_country_or(std::string& out, geo::country_code c, const char* none,
                       bool quoted = false) {
    if (!c.known()) {
        out += none;
        return;
    }
    if (quoted) out.push_back('"');
    out.push_back(static_cast<char>(c.value >> 8));
    out.push_back(static_cast<char>(c.value & 0xff));
    if (quoted) out.push_back('"');
}

// A logfmt value: bare when it has no space, quote, '=' or control character, else quoted
// with \" \\ and \xNN escapes, so that one line is always one record. `cut` adds the '~' that
// marks an id longer than the record holds.
void append_logfmt_value(std::string& out, std::string_view v, bool cut) {
    bool bare = !v.empty();
    for (char ch : v) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) bare = false;
    }
    if (bare) {
        out += v;
        if (cut) out.push_back('~');
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
    if (cut) out.push_back('~');
    out.push_back('"');
}

}  // namespace

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
    auto milli = static_cast<unsigned>((real % 1000000000) / 1000000);
    if (sec != cached_second_) {
        format_utc_seconds(cached_prefix_, sizeof(cached_prefix_), sec);
        cached_second_ = sec;
    }
    out += cached_prefix_;
    out.push_back('.');
    append_three_digits(out, milli);
    out.push_back('Z');
}

void line_formatter::append(const access_record& r, std::string& out) {
    if (format_ == access_log_format::json)
        append_json(r, out);
    else
        append_text(r, out);
}

void line_formatter::append_text(const access_record& r, std::string& out) {
    out += "time=";
    append_time(r.accept_ns, out);
    out += " client=";
    append_address_or(out, r.client, "-");
    out += " listener=";
    out += listener(r);
    out += " country=";
    append_country_or(out, r.country, "-");
    out += " region=";
    if (r.region.known())
        append_logfmt_value(out, r.region.str(), false);
    else
        out.push_back('-');
    out += " backend=";
    if (r.id_length == 0)
        out.push_back('-');
    else
        append_logfmt_value(out, backend_id(r), r.id_cut);
    out += " backend_addr=";
    append_address_or(out, r.backend, "-");
    out += " attempts=";
    append_uint(out, r.attempts);
    out += " connect_ms=";
    if (r.connect_us != 0)
        append_thousandths(out, r.connect_us);
    else
        out.push_back('-');
    out += " bytes_up=";
    append_uint(out, r.bytes_up);
    out += " bytes_down=";
    append_uint(out, r.bytes_down);
    out += " duration_ms=";
    append_thousandths(out, (r.end_ns - r.accept_ns) / 1000);
    out += " term=";
    out += termination_flags[std::size_t(r.end)];
    out += " reason=";
    out += termination_names[std::size_t(r.end)];
    out.push_back('\n');
}

void line_formatter::append_json(const access_record& r, std::string& out) {
    out += "{\"time\":\"";
    append_time(r.accept_ns, out);
    out += "\",\"client\":";
    if (r.client.empty()) {
        out += "null";
    } else {
        out.push_back('"');
        append_host(out, r.client);
        out.push_back('"');
    }
    out += ",\"client_port\":";
    append_uint(out, r.client.port());
    out += ",\"listener\":";
    append_json_string(out, listener(r));
    out += ",\"country\":";
    append_country_or(out, r.country, "null", true);
    out += ",\"region\":";
    if (r.region.known())
        append_json_string(out, r.region.str());
    else
        out += "null";
    out += ",\"backend\":";
    if (r.id_length == 0)
        out += "null";
    else
        append_json_string(
            out, r.id_cut ? std::string(backend_id(r)) + "~" : std::string(backend_id(r)));
    out += ",\"backend_addr\":";
    if (r.backend.empty()) {
        out += "null";
    } else {
        out.push_back('"');
        append_to_string(out, r.backend);
        out.push_back('"');
    }
    out += ",\"attempts\":";
    append_uint(out, r.attempts);
    out += ",\"connect_ms\":";
    if (r.connect_us != 0)
        append_thousandths(out, r.connect_us);
    else
        out += "null";
    out += ",\"bytes_up\":";
    append_uint(out, r.bytes_up);
    out += ",\"bytes_down\":";
    append_uint(out, r.bytes_down);
    out += ",\"duration_ms\":";
    append_thousandths(out, (r.end_ns - r.accept_ns) / 1000);
    out += ",\"term\":\"";
    out += termination_flags[std::size_t(r.end)];
    out += "\",\"reason\":\"";
    out += termination_names[std::size_t(r.end)];
    out += "\"}\n";
}

}  // namespace edge::engine
