#include "geo/generation.hpp"

#include <atomic>

namespace edge::geo {

std::uint64_t next_generation() noexcept {
    // Sanctioned sharing: one process-wide counter, touched once per database open (control
    // thread, tools), never on a lookup.
    static std::atomic<std::uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace edge::geo
