#pragma once
// Reading what a proxy logged for tests: lines of a file as they appear, and logfmt lines
// (key=value, values optionally quoted) as maps.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace edge::test {

using namespace std::chrono_literals;

/// The lines of `path` once it holds at least `n` (or whatever it holds at `timeout`).
std::vector<std::string> wait_for_lines(const std::string& path, std::size_t n,
                                        std::chrono::milliseconds timeout = 5000ms);
/// key → value of one logfmt line (quotes removed, \" and \\ unescaped).
std::map<std::string, std::string> parse_logfmt(const std::string& line);

}  // namespace edge::test
