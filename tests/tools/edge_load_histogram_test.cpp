// histogram: bucket layout, percentile accuracy within the stated 1/128, merge and clamping.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "tools/edge_load/histogram.hpp"

using edge::load::histogram;

TEST_CASE("histogram buckets tile the value range without gaps") {
    for (unsigned i = 0; i + 1 < histogram::bucket_count; ++i) {
        REQUIRE(histogram::bucket_low(i) <= histogram::bucket_high(i));
        REQUIRE(histogram::bucket_high(i) + 1 == histogram::bucket_low(i + 1));
    }
    for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 255ull, 256ull, 1000ull,
                            123456789ull, (1ull << 39) + 12345}) {
        const unsigned i = histogram::index_of(v);
        CHECK(histogram::bucket_low(i) <= v);
        CHECK(v <= histogram::bucket_high(i));
    }
}

TEST_CASE("small values are exact, large ones within 1/128") {
    for (std::uint64_t v = 0; v < histogram::sub_count; ++v)
        CHECK(histogram::bucket_low(histogram::index_of(v)) == v);
    std::mt19937_64 rng(7);
    for (int k = 0; k < 10000; ++k) {
        const std::uint64_t v = rng() >> (24 + rng() % 30);
        const unsigned i = histogram::index_of(v);
        const double width = double(histogram::bucket_high(i) - histogram::bucket_low(i) + 1);
        CHECK(width <= std::max(1.0, double(v) / 64.0));
    }
}

TEST_CASE("values past the range land in the last bucket") {
    histogram h;
    h.record(~std::uint64_t{0});
    CHECK(histogram::index_of(~std::uint64_t{0}) == histogram::bucket_count - 1);
    CHECK(h.count() == 1);
    CHECK(h.max() == ~std::uint64_t{0});
    CHECK(h.percentile(1.0) == h.max());
}

TEST_CASE("percentiles match a sorted sample within the bucket error") {
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(11.0, 1.5);  // ~60 us median, long tail
    std::vector<std::uint64_t> values;
    histogram h;
    for (int i = 0; i < 200000; ++i) {
        const auto v = std::uint64_t(dist(rng));
        values.push_back(v);
        h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const auto exact = double(values[std::size_t(q * double(values.size())) - 1]);
        const auto got = double(h.percentile(q));
        INFO("q=" << q << " exact=" << exact << " got=" << got);
        CHECK(got >= exact);
        CHECK(got <= exact * (1 + 1.0 / 64));
    }
    CHECK(h.percentile(1.0) == values.back());
    CHECK(h.min() == values.front());
    CHECK(h.count() == values.size());
}

TEST_CASE("merge adds counts, keeps min and max; empty histogram reports zeros") {
    histogram a, b, empty;
    for (std::uint64_t v = 1; v <= 100; ++v)
        a.record(v);
    for (std::uint64_t v = 1001; v <= 1100; ++v)
        b.record(v);
    a.merge(b);
    CHECK(a.count() == 200);
    CHECK(a.min() == 1);
    CHECK(a.max() == 1100);
    CHECK(a.percentile(0.5) == 100);
    CHECK(a.mean() == Approx((5050.0 + 105050.0) / 200));
    CHECK(empty.count() == 0);
    CHECK(empty.percentile(0.99) == 0);
    CHECK(empty.min() == 0);
    a.reset();
    CHECK(a.count() == 0);
}
