#pragma once
// JSON text written by hand where the engine answers in JSON (the access log's json format,
// GET /status): a string's escaping, the one part that is easy to get wrong, and a writer that
// places the commas. Any thread.

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>
#include <string_view>

namespace edge::engine {

/// Appends `s` as a JSON string (quoted; ", \ and control characters escaped; bytes above 0x7f
/// passed through, so UTF-8 stays UTF-8).
inline void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof(buf), "\\u%04x", c);
                    out += buf;
                } else {
                    out.push_back(ch);
                }
        }
    }
    out.push_back('"');
}

/// Appends a JSON document to a string: objects, arrays, keys and values in order, commas
/// placed for the caller. Keys are trusted names (escaped anyway).
class json_writer {
  public:
    explicit json_writer(std::string& out) noexcept : out_(out) {}

    json_writer& begin_object() { return open('{'); }
    json_writer& end_object() { return close('}'); }
    json_writer& begin_array() { return open('['); }
    json_writer& end_array() { return close(']'); }
    /// The key of the next value (inside an object).
    json_writer& key(std::string_view k) {
        separate();
        append_json_string(out_, k);
        out_.push_back(':');
        first_ = true;
        return *this;
    }
    json_writer& value(std::string_view v) {
        separate();
        append_json_string(out_, v);
        return *this;
    }
    json_writer& value(const char* v) { return value(std::string_view(v)); }
    json_writer& value(const std::string& v) { return value(std::string_view(v)); }
    json_writer& value(bool v) { return raw(v ? "true" : "false"); }
    json_writer& value(std::uint64_t v) { return number(v); }
    json_writer& value(std::int64_t v) { return number(v); }
    json_writer& value(std::uint32_t v) { return number(v); }
    json_writer& value(int v) { return number(v); }
    json_writer& value(double v) {
        separate();
        fmt::format_to(std::back_inserter(out_), "{:.3f}", v);
        return *this;
    }
    json_writer& null() { return raw("null"); }
    /// A string value, or null when `v` is empty.
    json_writer& string_or_null(std::string_view v) { return v.empty() ? null() : value(v); }
    /// A value that is already JSON (another renderer's document), written as it is.
    json_writer& raw(std::string_view t) {
        separate();
        out_ += t;
        return *this;
    }

  private:
    void separate() {
        if (!first_) out_.push_back(',');
        first_ = false;
    }
    json_writer& open(char c) {
        separate();
        out_.push_back(c);
        first_ = true;
        return *this;
    }
    json_writer& close(char c) {
        out_.push_back(c);
        first_ = false;
        return *this;
    }
    template <class N>
    json_writer& number(N v) {
        separate();
        fmt::format_to(std::back_inserter(out_), "{}", v);
        return *this;
    }

    std::string& out_;
    bool first_ = true;
};

}  // namespace edge::engine
