#include "geo/lookup_cache.hpp"

#include <bit>

namespace edge::geo {

lookup_cache::lookup_cache(std::size_t capacity) {
    std::size_t sets = std::bit_ceil(capacity < 16 ? std::size_t{16} : capacity) / 2;
    sets_ = std::make_unique<bucket[]>(sets);  // value-initialised: epoch 0, never a hit
    mask_ = sets - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(sets));
}

void lookup_cache::clear() noexcept {
    std::memset(static_cast<void*>(sets_.get()), 0, sizeof(bucket) * (mask_ + 1));
    epoch_ = 1;
    region_count_ = 0;
}

void lookup_cache::next_epoch() noexcept {
    region_count_ = 0;           // no live entry refers to the old table any more
    if (++epoch_ == 0) clear();  // after 2^32 epochs a stale stamp could match again
}

void lookup_cache::rebind(const database& db, const region_map& map) noexcept {
    db_generation_ = db.generation();
    map_fingerprint_ = map.fingerprint();
    ++stats_.invalidations;
    next_epoch();
}

std::uint8_t lookup_cache::intern(const region_code& r) noexcept {
    if (!r.known()) return 0;
    for (std::size_t i = 0; i < region_count_; ++i) {
        if (regions_[i] == r) return static_cast<std::uint8_t>(i + 1);
    }
    // More distinct regions than the table holds: start over rather than grow.
    if (region_count_ == regions_.size()) next_epoch();
    regions_[region_count_++] = r;
    return static_cast<std::uint8_t>(region_count_);
}

location lookup_cache::miss(bucket& b, std::uint64_t lo, std::uint64_t hi, const ip_address& a,
                            const database& db, const region_map& map) noexcept {
    ++stats_.misses;
    location loc;
    if (auto rec = db.lookup(a)) {
        loc = map.locate(*rec);
    } else {
        ++stats_.errors;
    }
    const std::uint8_t region = intern(loc.region);  // may move the epoch: before the stamp
    // The newest entry goes to way 0; a live way 0 moves down, evicting way 1.
    if (b.way[0].epoch == epoch_) b.way[1] = b.way[0];
    entry& e = b.way[0];
    e.key_lo = lo;
    e.key_hi = hi;
    e.epoch = epoch_;
    e.country = loc.country.value;
    e.continent = loc.continent.value;
    e.region = region;
    return loc;
}

}  // namespace edge::geo
