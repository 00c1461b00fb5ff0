#pragma once
// Just enough JSON to read MaxMind's test-data sources in the tests: objects (in file order),
// arrays, strings (with \u escapes as UTF-8), numbers, true/false/null. Throws on bad input.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edge::geo::test {

struct json {
    enum class kind { null, boolean, number, string, array, object } type = kind::null;
    bool b = false;
    double num = 0;
    std::string str;
    std::vector<json> items;  // array
    // An object's members in file order, as two parallel vectors: a vector of pair<string, json>
    // inside json itself trips libstdc++'s completeness check under clang 14.
    std::vector<std::string> keys;
    std::vector<json> values;

    /// The member `key` of an object, or nullptr.
    const json* get(std::string_view key) const {
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (keys[i] == key) return &values[i];
        }
        return nullptr;
    }
    /// The string at a path of object keys, or "" when any step is missing.
    std::string string_at(std::initializer_list<std::string_view> path) const {
        const json* j = this;
        for (auto k : path) {
            j = j->get(k);
            if (!j) return {};
        }
        return j->type == kind::string ? j->str : std::string{};
    }

    static json parse(std::string_view text) {
        std::size_t pos = 0;
        json j = value(text, pos);
        skip_ws(text, pos);
        if (pos != text.size()) throw std::runtime_error("json: trailing data");
        return j;
    }

  private:
    static void skip_ws(std::string_view t, std::size_t& p) {
        while (p < t.size() && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t'))
            ++p;
    }
    static void expect(std::string_view t, std::size_t& p, char c) {
        skip_ws(t, p);
        if (p >= t.size() || t[p] != c)
            throw std::runtime_error(std::string("json: expected ") + c);
        ++p;
    }
    static void utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    static std::uint32_t hex4(std::string_view t, std::size_t& p) {
        if (p + 4 > t.size()) throw std::runtime_error("json: short \\u escape");
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = t[p++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<std::uint32_t>(c - 'A' + 10);
            else
                throw std::runtime_error("json: bad \\u escape");
        }
        return v;
    }
    static std::string string(std::string_view t, std::size_t& p) {
        expect(t, p, '"');
        std::string out;
        while (true) {
            if (p >= t.size()) throw std::runtime_error("json: unterminated string");
            char c = t[p++];
            if (c == '"') return out;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (p >= t.size()) throw std::runtime_error("json: bad escape");
            char e = t[p++];
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    std::uint32_t cp = hex4(t, p);
                    if (cp >= 0xd800 && cp < 0xdc00 && p + 6 <= t.size() && t[p] == '\\' &&
                        t[p + 1] == 'u') {
                        p += 2;
                        std::uint32_t lo = hex4(t, p);
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    utf8(out, cp);
                    break;
                }
                default:
                    throw std::runtime_error("json: bad escape");
            }
        }
    }
    static json value(std::string_view t, std::size_t& p) {
        skip_ws(t, p);
        if (p >= t.size()) throw std::runtime_error("json: unexpected end");
        json j;
        char c = t[p];
        if (c == '{') {
            j.type = kind::object;
            ++p;
            skip_ws(t, p);
            if (p < t.size() && t[p] == '}') {
                ++p;
                return j;
            }
            while (true) {
                std::string k = string(t, p);
                expect(t, p, ':');
                j.keys.push_back(std::move(k));
                j.values.push_back(value(t, p));
                skip_ws(t, p);
                if (p < t.size() && t[p] == ',') {
                    ++p;
                    continue;
                }
                expect(t, p, '}');
                return j;
            }
        }
        if (c == '[') {
            j.type = kind::array;
            ++p;
            skip_ws(t, p);
            if (p < t.size() && t[p] == ']') {
                ++p;
                return j;
            }
            while (true) {
                j.items.push_back(value(t, p));
                skip_ws(t, p);
                if (p < t.size() && t[p] == ',') {
                    ++p;
                    continue;
                }
                expect(t, p, ']');
                return j;
            }
        }
        if (c == '"') {
            j.type = kind::string;
            j.str = string(t, p);
            return j;
        }
        if (t.substr(p, 4) == "true") {
            p += 4;
            j.type = kind::boolean;
            j.b = true;
            return j;
        }
        if (t.substr(p, 5) == "false") {
            p += 5;
            j.type = kind::boolean;
            return j;
        }
        if (t.substr(p, 4) == "null") {
            p += 4;
            return j;
        }
        std::size_t start = p;
        while (p < t.size() &&
               (std::string_view("+-0123456789.eE").find(t[p]) != std::string_view::npos))
            ++p;
        if (start == p) throw std::runtime_error("json: unexpected character");
        j.type = kind::number;
        j.num = std::stod(std::string(t.substr(start, p - start)));
        return j;
    }
};

}  // namespace edge::geo::test
