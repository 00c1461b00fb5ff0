#pragma once
// Process-wide generation numbers: every opened database gets one that is never reused, so a
// lookup cache can tell "the same database" from "a replacement" with one integer compare.

#include <cstdint>

namespace edge::geo {

/// A number greater than any returned before in this process (starts at 1). Any thread.
std::uint64_t next_generation() noexcept;

}  // namespace edge::geo
