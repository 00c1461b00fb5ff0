#pragma once
// A worker's own cache of client address → location, so a repeat client costs a hash and one
// cache-line compare instead of a database walk. One per worker, never shared (no atomics, no
// locks); its table is allocated once at construction and a lookup never allocates.
//
// Two-way set associative: a set is one 64-byte cache line holding two 32-byte entries (the
// newest in way 0); a hit only reads. Regions are interned into a small per-cache table so an
// entry stays 32 bytes. Entries are stamped with an epoch; when the caller passes a database or
// region map different from the last one (by database generation / map fingerprint), the epoch
// moves on and every old entry becomes a miss at once, with no sweep. Misses, including "not in
// the database" and lookup errors, are cached too (as an unknown location), so a stream of
// unknown clients costs the walk once each.

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#include "geo/database.hpp"
#include "geo/ip_address.hpp"
#include "geo/region_map.hpp"
#include "geo/types.hpp"

namespace edge::geo {

/// Counters of one cache; read by the owning worker (e.g. into its metrics block).
struct lookup_cache_stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t errors = 0;  // database lookups that met corrupt data (counted on miss)
    std::uint64_t invalidations = 0;
};

class lookup_cache {
  public:
    /// A cache of `capacity` entries (rounded up to a power of two, at least 16), 32 bytes each.
    /// Allocates here, once. Any thread, before the cache is handed to its worker.
    explicit lookup_cache(std::size_t capacity = 4096);

    lookup_cache(const lookup_cache&) = delete;
    lookup_cache& operator=(const lookup_cache&) = delete;
    lookup_cache(lookup_cache&&) noexcept = default;
    lookup_cache& operator=(lookup_cache&&) noexcept = default;

    /// The location of `a` under database `db` (nullptr: no geo, always unknown) and region
    /// map `map`: from the cache, or by looking it up and remembering the answer. The caller
    /// keeps `db` alive (its shared_ptr) for the call. The owning worker thread only; no
    /// allocation.
    location locate(const ip_address& a, const database* db, const region_map& map) noexcept;

    /// Forgets every entry. The owning worker thread only.
    void clear() noexcept;

    /// Number of entries. The owning worker thread.
    std::size_t capacity() const noexcept { return (mask_ + 1) * 2; }
    /// Hit, miss and error counts so far. The owning worker thread.
    const lookup_cache_stats& stats() const noexcept { return stats_; }

  private:
    struct entry {
        std::uint64_t key_lo;
        std::uint64_t key_hi;
        std::uint32_t epoch;  // 0 = never filled
        std::uint16_t country;
        std::uint16_t continent;
        std::uint8_t region;  // 1 + index into regions_, 0 = unknown
        std::uint8_t unused[7];
    };
    struct alignas(64) bucket {
        entry way[2];  // way[0] is the newer
    };
    static_assert(sizeof(entry) == 32 && sizeof(bucket) == 64);

    location miss(bucket& b, std::uint64_t lo, std::uint64_t hi, const ip_address& a,
                  const database& db, const region_map& map) noexcept;
    void rebind(const database& db, const region_map& map) noexcept;
    void next_epoch() noexcept;
    std::uint8_t intern(const region_code& r) noexcept;
    location unpack(const entry& e) const noexcept {
        return {country_code{e.country}, e.region ? regions_[e.region - 1u] : region_code{},
                continent_code{e.continent}};
    }

    std::unique_ptr<bucket[]> sets_;
    std::size_t mask_ = 0;
    unsigned shift_ = 0;
    std::uint32_t epoch_ = 1;
    std::uint64_t db_generation_ = 0;
    std::uint64_t map_fingerprint_ = 0;
    lookup_cache_stats stats_;
    std::size_t region_count_ = 0;
    std::array<region_code, 255> regions_{};
};

// ---- inline definitions ------------------------------------------------------------------------

inline location lookup_cache::locate(const ip_address& a, const database* db,
                                     const region_map& map) noexcept {
    if (db == nullptr) return {};
    if (db->generation() != db_generation_ || map.fingerprint() != map_fingerprint_) [[unlikely]] {
        rebind(*db, map);
    }
    std::uint64_t lo, hi;
    std::memcpy(&lo, a.bytes.data(), 8);
    std::memcpy(&hi, a.bytes.data() + 8, 8);
    // Multiplicative hashing; the top bits of the product pick the set. IPv4 keys differ only
    // in `hi`, so `hi` gets the full multiplier.
    std::uint64_t h = (hi * 0x9e3779b97f4a7c15ull) ^ (lo * 0xc2b2ae3d27d4eb4full);
    bucket& b = sets_[(h >> shift_) & mask_];
    for (const entry& e : b.way) {
        if (e.key_hi == hi && e.key_lo == lo && e.epoch == epoch_) [[likely]] {
            ++stats_.hits;
            return unpack(e);
        }
    }
    return miss(b, lo, hi, a, *db, map);
}

}  // namespace edge::geo
