#include "tests/support/log_lines.hpp"

#include <fstream>
#include <sstream>
#include <thread>

namespace edge::test {

std::vector<std::string> wait_for_lines(const std::string& path, std::size_t n,
                                        std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<std::string> lines;
    for (;;) {
        lines.clear();
        std::ifstream f(path);
        std::string l;
        while (std::getline(f, l))
            if (!l.empty()) lines.push_back(l);
        if (lines.size() >= n || std::chrono::steady_clock::now() >= deadline) return lines;
        std::this_thread::sleep_for(20ms);
    }
}

std::map<std::string, std::string> parse_logfmt(const std::string& line) {
    std::map<std::string, std::string> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ')
            ++i;
        std::size_t eq = line.find('=', i);
        if (eq == std::string::npos) break;
        std::string key = line.substr(i, eq - i);
        std::string value;
        i = eq + 1;
        if (i < line.size() && line[i] == '"') {
            for (++i; i < line.size() && line[i] != '"'; ++i) {
                if (line[i] == '\\' && i + 1 < line.size()) ++i;
                value.push_back(line[i]);
            }
            ++i;
        } else {
            std::size_t end = line.find(' ', i);
            if (end == std::string::npos) end = line.size();
            value = line.substr(i, end - i);
            i = end;
        }
        out[key] = value;
    }
    return out;
}

}  // namespace edge::test
