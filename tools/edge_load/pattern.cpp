#include "tools/edge_load/pattern.hpp"

#include <algorithm>
#include <cstring>

namespace edge::load {

namespace {
// Written once by init_pattern() before threads start, read-only afterwards.
std::byte block[pattern_span + pattern_period];
}  // namespace

void init_pattern() noexcept {
    for (std::size_t i = 0; i < sizeof block; ++i)
        block[i] = std::byte(pattern_byte(i));
}

const std::byte* pattern_at(std::uint64_t offset) noexcept {
    return block + offset % 251;
}

bool pattern_matches(const std::byte* p, std::size_t n, std::uint64_t offset) noexcept {
    while (n > 0) {
        const std::size_t k = std::min(n, pattern_span);
        if (std::memcmp(p, pattern_at(offset), k) != 0) return false;
        p += k;
        n -= k;
        offset += k;
    }
    return true;
}

}  // namespace edge::load
