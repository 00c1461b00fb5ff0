#include "engine/host/passive_reports.hpp"

namespace edge::engine {

passive_reports::passive_reports(std::uint32_t capacity, std::uint32_t threshold)
    : failures_(new std::atomic<std::uint32_t>[capacity]),
      capacity_(capacity),
      threshold_(threshold) {
    for (std::uint32_t i = 0; i < capacity; ++i)
        failures_[i].store(0, std::memory_order_relaxed);
}

void passive_reports::on_failure(ring& io, std::uint64_t local_tag, std::uint32_t slot,
                                 std::uint32_t gen, passive_failure why) noexcept {
    if (slot >= capacity_ || threshold_ == 0) return;
    std::uint32_t n = failures_[slot].fetch_add(1, std::memory_order_relaxed) + 1;
    // Exactly at the threshold, and again every threshold failures while the checker has not
    // reset the count (it may have declined: the ejection cap was reached).
    if (n < threshold_ || (n - threshold_) % threshold_ != 0) return;
    int fd = ring_fd_.load(std::memory_order_acquire);
    if (fd < 0) return;
    std::uint64_t report = op_tag{health_family, passive_report_op, 0, slot, gen}.encode();
    io.prep_msg_ring(fd, static_cast<std::uint32_t>(why), report, local_tag);
}

}  // namespace edge::engine
