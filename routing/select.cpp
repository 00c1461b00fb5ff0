// Selection runs on a worker for every new connection, so it works only on the snapshot's
// precomputed candidate array: integer compares for the tiers, one multiply for the load term,
// no allocation, no string compare. Shared state (the live counts) is read only for a backend
// that would win or tie, which keeps cross-core cache traffic to a few lines per connection.

#include "routing/select.hpp"

#include <limits>

namespace edge::routing {

namespace {

// A client country that is unknown must match no backend, not the backends of unknown country.
constexpr std::uint16_t no_country = 0xffff;  // never a packed pair of letters
constexpr std::uint32_t no_region = std::numeric_limits<std::uint32_t>::max();

std::uint32_t next_random(std::uint32_t& state) noexcept {
    // xorshift32: enough to spread ties, and a state of 0 would stick, so leave it.
    std::uint32_t x = state ? state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    state = x;
    return x;
}

// Uniform in [0, n) without division (Lemire's multiply-shift; the bias is below 2^-32·n).
std::uint32_t random_below(std::uint32_t& state, std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(next_random(state)) * n) >> 32);
}

bool in_skip(std::uint32_t slot, std::span<const std::uint32_t> skip) noexcept {
    for (std::uint32_t s : skip) {
        if (s == slot) return true;
    }
    return false;
}

bool at_hard_limit(std::uint32_t hard_limit, const backend_shared* shared) noexcept {
    return hard_limit != 0 && shared->live.load(std::memory_order_relaxed) >= hard_limit;
}

}  // namespace

std::uint32_t region_index_of(const snapshot& s, const geo::region_code& r) noexcept {
    if (!r.known()) return no_region;
    for (std::size_t i = 0; i < s.regions.size(); ++i) {
        if (s.regions[i] == r) return static_cast<std::uint32_t>(i);
    }
    return no_region;
}

unsigned tier(const backend& b, const geo::location& client,
              const geo::region_code& pop_region) noexcept {
    if (client.country.known() && b.country == client.country) return 0;
    if (client.region.known() && b.region == client.region) return 1;
    if (pop_region.known() && b.region == pop_region) return 2;
    return 3;
}

double score(const backend& b, const geo::location& client, const geo::region_code& pop_region,
             std::uint32_t live) noexcept {
    // The same arithmetic as select_backend's precomputed path, so both agree bit for bit.
    double soft = b.soft_limit ? b.soft_limit : 1;
    double weight = b.weight ? b.weight : 1;
    double inv = 1.0 / (soft * weight);
    return 100.0 * tier(b, client, pop_region) + static_cast<double>(live) * inv;
}

const backend* select_backend(const snapshot& s, const geo::location& client,
                              std::span<const std::uint32_t> live_by_slot,
                              std::span<const std::uint32_t> skip, std::uint32_t& rng) noexcept {
    const std::uint16_t country = client.country.known() ? client.country.value : no_country;
    const std::uint32_t region = region_index_of(s, client.region);
    const candidate* cands = s.candidates.data();
    const std::size_t n = s.candidates.size();
    const std::size_t live_n = live_by_slot.size();

    double best = std::numeric_limits<double>::infinity();
    const candidate* winner = nullptr;
    std::uint32_t ties = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const candidate& c = cands[i];
        std::uint32_t live = c.slot < live_n ? live_by_slot[c.slot] : 0;
        unsigned t = c.country == country ? 0u : c.region_index == region ? 1u : c.base_tier;
        double sc = 100.0 * t + static_cast<double>(live) * c.inv_capacity;
        if (sc > best) continue;
        if (in_skip(c.slot, skip) || at_hard_limit(c.hard_limit, c.shared)) continue;
        if (sc < best) {
            best = sc;
            winner = &c;
            ties = 1;
        } else if (random_below(rng, ++ties) == 0) {
            // Reservoir choice: each of the k tied candidates ends up chosen with chance 1/k.
            winner = &c;
        }
    }
    return winner ? &s.backends[winner->backend_index] : nullptr;
}

const backend* bound_backend(const snapshot& s, std::uint32_t slot,
                             std::uint32_t generation) noexcept {
    if (slot >= s.index_by_slot.size()) return nullptr;
    std::int32_t i = s.index_by_slot[slot];
    if (i < 0) return nullptr;
    const backend& b = s.backends[static_cast<std::size_t>(i)];
    if (b.generation != generation || !b.healthy) return nullptr;
    return &b;
}

bool try_reserve(const backend& b) noexcept {
    // Sanctioned sharing (design §3): the one cross-core write per connection. Relaxed order
    // suffices: the count guards a number, not other memory, and read-modify-write operations on
    // one atomic are totally ordered, so concurrent reservations can never pass hard_limit.
    std::atomic<std::uint32_t>& live = b.shared->live;
    if (b.hard_limit == 0) {
        live.fetch_add(1, std::memory_order_relaxed);
        return true;
    }
    std::uint32_t cur = live.load(std::memory_order_relaxed);
    while (cur < b.hard_limit) {
        if (live.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed)) return true;
    }
    return false;
}

void release(backend_shared& shared) noexcept {
    // Release order pairs with the registry's acquire load in collect(): a slot is reused only
    // after every release on it has happened.
    shared.live.fetch_sub(1, std::memory_order_release);
}

}  // namespace edge::routing
