#include "engine/host/health_board.hpp"

#include <algorithm>

namespace edge::engine {

result<std::unique_ptr<health_board>> health_board::create(std::uint32_t capacity, bool active,
                                                           bool passive) noexcept {
    auto cells = mmap_array<health_cell>::create(capacity);
    if (!cells) return unexpected(cells.error());
    std::unique_ptr<health_board> b(new health_board());
    b->cells_ = std::move(*cells);
    b->active_ = active;
    b->passive_ = passive;
    return b;
}

void health_board::record_duration(std::uint32_t slot, std::uint64_t micros) noexcept {
    if (slot >= capacity()) return;
    health_cell& c = cells_[slot];
    double s = static_cast<double>(micros) / 1e6;
    auto it = std::lower_bound(check_duration_bounds_s.begin(), check_duration_bounds_s.end(), s);
    c.duration[static_cast<std::size_t>(it - check_duration_bounds_s.begin())].add();
    c.duration_sum_us.add(micros);
    c.last_duration_us.set(static_cast<std::int64_t>(micros));
}

}  // namespace edge::engine
