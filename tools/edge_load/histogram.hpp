#pragma once
// histogram: an HDR-style log-linear latency histogram with fixed memory. Values (nanoseconds)
// below 2^sub_bits are exact; above, each power of two is split into 2^(sub_bits-1) linear
// buckets, so a reported percentile is at most 1/64 above the true value. Recording is a shift,
// a count-leading-zeros and an increment: no allocation, safe in the hot loop.

#include <array>
#include <cstdint>

namespace edge::load {

class histogram {
  public:
    static constexpr unsigned sub_bits = 7;
    static constexpr unsigned sub_count = 1u << sub_bits;
    /// Values at or above 2^max_bits ns (~18 minutes) are clamped into the last bucket.
    static constexpr unsigned max_bits = 40;
    static constexpr unsigned bucket_count = (max_bits - sub_bits) * (sub_count / 2) + sub_count;

    /// Records one value in nanoseconds; the owning thread only.
    void record(std::uint64_t ns) noexcept;
    /// Adds every count of `other` into this one (after the recording threads have stopped).
    void merge(const histogram& other) noexcept;
    /// Clears all counts.
    void reset() noexcept;

    std::uint64_t count() const noexcept { return count_; }
    std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
    std::uint64_t max() const noexcept { return max_; }
    double mean() const noexcept { return count_ ? double(sum_) / double(count_) : 0.0; }
    /// The value at quantile q in [0, 1]: the highest value its bucket can hold, never above max().
    std::uint64_t percentile(double q) const noexcept;

    /// Bucket index of a value, and the range of values a bucket holds (for tests).
    static unsigned index_of(std::uint64_t ns) noexcept;
    static std::uint64_t bucket_low(unsigned index) noexcept;
    static std::uint64_t bucket_high(unsigned index) noexcept;

  private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
};

// ---- inline definitions -------------------------------------------------------------------

inline unsigned histogram::index_of(std::uint64_t ns) noexcept {
    if (ns >= (std::uint64_t{1} << max_bits)) return bucket_count - 1;
    if (ns < sub_count) return unsigned(ns);
    const unsigned msb = 63u - unsigned(__builtin_clzll(ns));  // >= sub_bits
    const unsigned shift = msb - sub_bits + 1;                 // >= 1
    // ns >> shift lies in [sub_count/2, sub_count): each power of two past the exact range adds
    // sub_count/2 buckets of width 2^shift.
    return shift * (sub_count / 2) + unsigned(ns >> shift);
}

inline void histogram::record(std::uint64_t ns) noexcept {
    ++counts_[index_of(ns)];
    ++count_;
    sum_ += ns;
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
}

}  // namespace edge::load
