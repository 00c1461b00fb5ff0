#include "tools/edgectl/routing_cli.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/strings.hpp"

namespace edge::edgectl {

const std::string* flag_set::value(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
}

flag_set parse_flags(const args& a, std::size_t from, const std::set<std::string>& value_flags,
                     const std::set<std::string>& switch_flags) {
    flag_set f;
    for (std::size_t i = from; i < a.size(); ++i) {
        const std::string& arg = a[i];
        if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
            f.positional.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2), val;
        bool inline_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            val = name.substr(eq + 1);
            name.resize(eq);
            inline_value = true;
        }
        if (switch_flags.count(name)) {
            if (inline_value) throw usage_error(fmt::format("--{} takes no value", name));
            f.switches.insert(name);
        } else if (value_flags.count(name)) {
            if (!inline_value) {
                if (i + 1 >= a.size()) throw usage_error(fmt::format("--{} needs a value", name));
                val = a[++i];
            }
            if (f.values.count(name)) throw usage_error(fmt::format("--{} given twice", name));
            f.values[name] = val;
        } else {
            throw usage_error(fmt::format("unknown option --{}", name));
        }
    }
    return f;
}

std::uint64_t parse_duration_ms(const std::string& text, const char* flag) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    std::uint64_t scale = unit.empty() || unit == "ms" ? 1
                          : unit == "s"                ? 1000
                          : unit == "m"                ? 60000
                                                       : 0;
    if (ec != std::errc() || end == text.data() || scale == 0 || n > (1ull << 40))
        throw usage_error(fmt::format("--{} '{}' is not a duration (500ms, 2s, 1m)", flag, text));
    return n * scale;
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& raw_rows) {
    std::vector<std::vector<std::string>> rows = raw_rows;
    for (auto& r : rows)
        for (auto& cell : r)
            cell = edge::escape_control(cell);
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c)
        width[c] = header[c].size();
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size() && c < width.size(); ++c)
            width[c] = std::max(width[c], r[c].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            out += cells[c];
            if (c + 1 < cells.size()) out.append(width[c] - cells[c].size() + 2, ' ');
        }
        fmt::print("{}\n", out);
    };
    line(header);
    for (const auto& r : rows)
        line(r);
}

}  // namespace edge::edgectl
