#include "geo/lookup_cache.hpp"

#include <bit>

namespace edge::geo {

lookup_cache::lookup_cache(std::size_t capacity) {
    std::size_t n = std::bit_ceil(capacity < 16 ? std::size_t{16} : capacity);
    table_ = std::make_unique<entry[]>(n);  // value-initialised: epoch 0, never a hit
    mask_ = n - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(n));
}

void lookup_cache::clear() noexcept {
    std::memset(static_cast<void*>(table_.get()), 0, sizeof(entry) * (mask_ + 1));
    epoch_ = 1;
}

void lookup_cache::rebind(const database& db, const region_map& map) noexcept {
    db_generation_ = db.generation();
    map_fingerprint_ = map.fingerprint();
    ++stats_.invalidations;
    if (++epoch_ == 0) clear();  // after 2^32 swaps a stale stamp could match again
}

location lookup_cache::miss(entry& e, std::uint64_t lo, std::uint64_t hi, const ip_address& a,
                            const database& db, const region_map& map) noexcept {
    ++stats_.misses;
    location loc;
    if (auto rec = db.lookup(a)) {
        loc = map.locate(*rec);
    } else {
        ++stats_.errors;
    }
    e.key_lo = lo;
    e.key_hi = hi;
    e.epoch = epoch_;
    e.country = loc.country.value;
    e.continent = loc.continent.value;
    e.region = loc.region;
    return loc;
}

}  // namespace edge::geo
