#include "tools/edge_load/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace edge::load {

void histogram::merge(const histogram& other) noexcept {
    for (unsigned i = 0; i < bucket_count; ++i)
        counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

void histogram::reset() noexcept {
    *this = histogram{};
}

std::uint64_t histogram::bucket_low(unsigned index) noexcept {
    if (index < sub_count) return index;
    const unsigned shift = index / (sub_count / 2) - 1;
    const std::uint64_t m = index - shift * (sub_count / 2);
    return m << shift;
}

std::uint64_t histogram::bucket_high(unsigned index) noexcept {
    if (index < sub_count) return index;
    const unsigned shift = index / (sub_count / 2) - 1;
    const std::uint64_t m = index - shift * (sub_count / 2);
    return ((m + 1) << shift) - 1;
}

std::uint64_t histogram::percentile(double q) const noexcept {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    // The rank of the value at q, 1-based: q = 0 is the minimum, q = 1 the maximum.
    auto rank = std::uint64_t(std::ceil(q * double(count_)));
    if (rank == 0) rank = 1;
    std::uint64_t seen = 0;
    for (unsigned i = 0; i < bucket_count; ++i) {
        seen += counts_[i];
        if (seen >= rank) return std::clamp(bucket_high(i), min_, max_);
    }
    return max_;
}

}  // namespace edge::load
