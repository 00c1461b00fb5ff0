#pragma once
// Why reading routing.db failed as a whole. Shared by the loader, the watcher and edgectl.

#include <cstdint>
#include <string>
#include <string_view>

namespace edge::routing {

/// Why a whole load failed; the last good snapshot stays in force.
enum class load_failure : std::uint8_t { missing, locked, corrupt, wrong_schema, io };

struct load_error {
    load_failure kind;
    std::string detail;  // one line, for the log

    friend bool operator==(const load_error&, const load_error&) = default;
};

/// "missing", "locked", "corrupt", "wrong schema", "i/o error": the label for logs and metrics.
std::string_view failure_name(load_failure f) noexcept;

}  // namespace edge::routing
