#include "tools/edge_load/json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace edge::load {

json_writer::json_writer() : out_("{"), first_{true} {}

std::string json_writer::quote(std::string_view s) {
    std::string q = "\"";
    for (char c : s) {
        switch (c) {
            case '"':
                q += "\\\"";
                break;
            case '\\':
                q += "\\\\";
                break;
            case '\n':
                q += "\\n";
                break;
            case '\t':
                q += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20)
                    q += fmt::format("\\u{:04x}", int(c));
                else
                    q += c;
        }
    }
    return q + "\"";
}

void json_writer::key(std::string_view k) {
    if (!first_.back()) out_ += ",";
    first_.back() = false;
    out_ += quote(k);
    out_ += ":";
}

json_writer& json_writer::begin(std::string_view k) {
    key(k);
    out_ += "{";
    first_.push_back(true);
    return *this;
}

json_writer& json_writer::end() {
    if (first_.size() > 1) {
        out_ += "}";
        first_.pop_back();
    }
    return *this;
}

json_writer& json_writer::field(std::string_view k, double v) {
    key(k);
    out_ += std::isfinite(v) ? fmt::format("{:.6g}", v) : "null";
    return *this;
}

json_writer& json_writer::field(std::string_view k, std::uint64_t v) {
    key(k);
    out_ += fmt::format("{}", v);
    return *this;
}

json_writer& json_writer::field(std::string_view k, std::int64_t v) {
    key(k);
    out_ += fmt::format("{}", v);
    return *this;
}

json_writer& json_writer::field(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
    return *this;
}

json_writer& json_writer::field(std::string_view k, std::string_view v) {
    key(k);
    out_ += quote(v);
    return *this;
}

json_writer& json_writer::field(std::string_view k, const std::vector<std::string>& v) {
    key(k);
    out_ += "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out_ += ",";
        out_ += quote(v[i]);
    }
    out_ += "]";
    return *this;
}

std::string json_writer::finish() {
    while (first_.size() > 1)
        end();
    return out_ + "}\n";
}

void write_file_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) throw std::runtime_error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
}

}  // namespace edge::load
