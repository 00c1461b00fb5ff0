#pragma once
// Shared pieces of edgectl's routing.db commands: flag parsing, durations and plain-text tables.
// Tools code: errors are thrown (usage_error → exit 2, anything else → exit 1) and caught in
// run_routing.

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/edgectl/commands.hpp"

namespace edge::edgectl {

/// Bad command-line input: the command prints it with a usage hint and exits 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Parsed arguments: `--name value` / `--name=value` for value flags, `--name` for switches, and
/// everything else positional, in order.
struct flag_set {
    std::map<std::string, std::string> values;
    std::set<std::string> switches;
    std::vector<std::string> positional;

    bool has(const std::string& name) const { return values.count(name) || switches.count(name); }
    const std::string* value(const std::string& name) const;
};

/// Parses `a` from index `from`; throws usage_error for an unknown flag or a missing value.
flag_set parse_flags(const args& a, std::size_t from, const std::set<std::string>& value_flags,
                     const std::set<std::string>& switch_flags);

/// A duration ("500ms", "2s", "1m", "1500" = ms) in milliseconds; throws usage_error naming
/// --`flag` when it is not one.
std::uint64_t parse_duration_ms(const std::string& text, const char* flag);

/// Prints rows under a header, columns padded to their widest cell, control characters in cells
/// escaped (a hand-edited row cannot break the table or forge a line).
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

/// edgectl backend add|set|list|drain|enable|disable|remove (backend_commands.cpp).
int run_backend(const args& a);
/// Usage text of the backend subcommands.
const char* backend_usage();

}  // namespace edge::edgectl
