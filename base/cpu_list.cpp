#include "base/cpu_list.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>

#include "base/small_file.hpp"
#include "base/strings.hpp"

namespace edge {

namespace {

std::optional<unsigned> parse_cpu(std::string_view s) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v >= CPU_SETSIZE) return std::nullopt;
    return v;
}

}  // namespace

std::optional<std::vector<int>> parse_cpu_list(std::string_view s) {
    std::vector<int> cpus;
    while (!s.empty()) {
        const auto comma = s.find(',');
        const std::string_view item = s.substr(0, comma);
        s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
        const auto dash = item.find('-');
        auto lo = parse_cpu(item.substr(0, dash));
        auto hi = dash == std::string_view::npos ? lo : parse_cpu(item.substr(dash + 1));
        if (!lo || !hi || *hi < *lo) return std::nullopt;
        for (unsigned c = *lo; c <= *hi; ++c)
            cpus.push_back(static_cast<int>(c));
    }
    if (cpus.empty()) return std::nullopt;
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
    return cpus;
}

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return {0};
    std::vector<int> out;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) out.push_back(c);
    return out;
}

std::vector<int> isolated_cpus() {
    std::vector<int> out;
    for (const char* path :
         {"/sys/devices/system/cpu/isolated", "/sys/fs/cgroup/cpuset.cpus.isolated"}) {
        char buf[512];
        if (!read_small_file(path, buf, sizeof buf)) continue;  // absent, or nothing isolated
        std::string_view text(buf);
        while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
            text.remove_suffix(1);
        if (auto list = parse_cpu_list(trim(text)))
            out.insert(out.end(), list->begin(), list->end());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace edge
