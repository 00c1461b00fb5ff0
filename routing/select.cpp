// Selection runs on a worker for every new connection, so it works only on the snapshot's
// precomputed arrays: integer compares for the tiers, one multiply for the load term, no
// allocation, no string compare.
//
// Tiers are visited in order: the client's country group (tier 0), the rest of the client's
// region (tier 1), the rest of the POP's region (tier 2), then everything else (tier 3). A tier-t
// score is at least 100·t, so once the best score found is below 100·t no later tier can win or
// tie and the scan stops; a client usually looks only at the backends of its own country.
// Shared state (the skip list, the cross-core live count) is read only for a candidate that
// would win or tie, which keeps cross-core cache traffic to a few lines per connection.
//
// The score picks the tier and the load level; backends that tie on it share connections in
// proportion to their weight. Without that, short-lived connections (every backend idle, every
// score 100·tier) would spread evenly whatever the weights: the load term only separates
// backends once connections pile up. The share is drawn by the worker's selection_state
// (a low-discrepancy sequence), so each worker's split is exact to within a couple of
// connections, and so is the sum over workers.
//
// Effective health (routing/health_view.hpp) is one byte per candidate, read as the candidate is
// offered: an out-of-service backend is passed over (so a tier whose backends are all down spills
// to the next tier), and one in slow start has its weight scaled in the load term and in its
// share of ties. When nothing at all was in service, the panic rule decides: a second scan that
// ignores the view (fail open), or none.

#include "routing/select.hpp"

#include <algorithm>
#include <limits>

#include "routing/health_view.hpp"

namespace edge::routing {

namespace {

// A client country that is unknown must match no backend, not the backends of unknown country.
constexpr std::uint16_t no_country = 0xffff;  // never a packed pair of letters
constexpr std::uint32_t no_region = std::numeric_limits<std::uint32_t>::max();

// Tied candidates are remembered in a small array on the stack; a tie among more than this many
// backends (equal scores to the last bit) is resolved by a second scan.
constexpr std::uint32_t tracked_ties = 128;

// The sequence point (a fraction of 2^32) scaled to [0, total): tied candidate k owns a stretch
// of that range as wide as its weight. In 128 bits: total may pass 2^32.
std::uint64_t scale_point(std::uint32_t point, std::uint64_t total) noexcept {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<u128>(point) * total) >> 32);
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

// One selection: the client, the worker's counts, and the best candidates found so far.
class scan {
  public:
    scan(const snapshot& s, const geo::location& client, std::span<const std::uint32_t> live,
         std::span<const std::uint32_t> skip, const health_view* health) noexcept
        : s_(s),
          cands_(s.candidates.data()),
          weights_(s.candidate_weights.data()),
          country_(client.country.known() ? client.country.value : no_country),
          region_(region_index_of(s, client.region)),
          live_(live),
          skip_(skip),
          health_(health) {}

    std::uint16_t country() const noexcept { return country_; }
    std::uint32_t region() const noexcept { return region_; }
    double best() const noexcept { return best_; }
    /// Candidates passed over only because they were out of service.
    std::uint32_t out_of_service() const noexcept { return out_; }

    std::uint8_t level_of(const candidate& c) const noexcept {
        return health_ ? health_->level(c.slot) : health_view::full;
    }

    // `level` scales the weight in the load term (slow start): a backend at 1/8 of its weight
    // looks 8 times as loaded.
    double score_of(const candidate& c, std::uint8_t level) const noexcept {
        std::uint32_t n = c.slot < live_.size() ? live_[c.slot] : 0;
        unsigned t = c.country == country_ ? 0u : c.region_index == region_ ? 1u : c.base_tier;
        double load = static_cast<double>(n) * c.inv_capacity;
        if (level != health_view::full) load = load * 256.0 / level_share(level);
        return 100.0 * t + load;
    }

    bool eligible(const candidate& c) const noexcept {
        return !in_skip(c.slot, skip_) && !at_hard_limit(c.hard_limit, c.shared);
    }

    void offer(std::uint32_t i, double& best, std::uint32_t& ties) noexcept {
        const candidate& c = cands_[i];
        std::uint8_t level = level_of(c);
        if (level == health_view::out) {
            ++out_;
            return;
        }
        double sc = score_of(c, level);
        if (sc > best || !eligible(c)) return;
        if (sc < best) {
            best = sc;
            ties = 0;
        }
        if (ties < tracked_ties) tied_[ties] = i;
        ++ties;
    }

    // Tier 0: the client's country group (indices into the candidates).
    void offer_members(const std::uint32_t* begin, const std::uint32_t* end) noexcept {
        // The running best and tie count live in locals so that they stay in registers: stores
        // into tied_ could alias a member count and force a reload on every tie.
        double best = best_;
        std::uint32_t ties = ties_;
        for (const std::uint32_t* m = begin; m != end; ++m)
            offer(*m, best, ties);
        best_ = best;
        ties_ = ties;
    }

    // Candidates [begin, end) except those of the client's country (already seen in tier 0).
    void offer_range(std::uint32_t begin, std::uint32_t end) noexcept {
        double best = best_;
        std::uint32_t ties = ties_;
        for (std::uint32_t i = begin; i < end; ++i) {
            if (cands_[i].country != country_) offer(i, best, ties);
        }
        best_ = best;
        ties_ = ties;
    }

    void offer_region(std::uint32_t r) noexcept {
        offer_range(s_.region_begin[r], s_.region_begin[r + 1]);
    }

    // The winner; ties shared in proportion to weight by `state`'s next point (the weights are
    // read only here, so a scan without ties costs nothing more). nullptr when nothing was
    // eligible.
    const backend* choose(selection_state& state) const noexcept {
        if (ties_ == 0) return nullptr;
        std::uint32_t chosen = ties_ == 1 ? tied_[0] : choose_tie(state.next_point());
        return &s_.backends[static_cast<std::size_t>(s_.index_by_slot[cands_[chosen].slot])];
    }

  private:
    // A tie's share, in 256ths of its weight (slow start scales it; full weight keeps the
    // ratios exact).
    std::uint64_t tie_weight(std::uint32_t i) const noexcept {
        return static_cast<std::uint64_t>(weights_[i]) * level_share(level_of(cands_[i]));
    }

    // Out of line: most selections have one winner, and keeping the tie code apart keeps the
    // scan's own code small (measured: inlined, it cost the untied case ~10 %).
    [[gnu::noinline]] std::uint32_t choose_tie(std::uint32_t point) const noexcept {
        // Equal weights share by count, unless the health view may have scaled some of them.
        if (s_.equal_weights && health_ == nullptr) {
            auto pick = static_cast<std::uint32_t>(scale_point(point, ties_));
            return pick < tracked_ties ? tied_[pick] : nth_tied(pick);
        }
        if (ties_ > tracked_ties) return weighted_tied(point);
        std::uint64_t total = 0;
        for (std::uint32_t k = 0; k < ties_; ++k)
            total += tie_weight(tied_[k]);
        std::uint64_t target = scale_point(point, total);
        std::uint32_t chosen = tied_[0];
        for (std::uint32_t k = 0; k < ties_; ++k) {
            chosen = tied_[k];
            std::uint64_t w = tie_weight(chosen);
            if (target < w) break;
            target -= w;
        }
        return chosen;
    }

    bool is_tie(const candidate& c) const noexcept {
        std::uint8_t level = level_of(c);
        return level != health_view::out && score_of(c, level) == best_ && eligible(c);
    }

    // The `nth` candidate scoring exactly best_ (equal weights, more ties than tracked).
    std::uint32_t nth_tied(std::uint32_t nth) const noexcept {
        std::uint32_t found = tied_[tracked_ties - 1];
        for (std::uint32_t i = 0; i < s_.candidates.size(); ++i) {
            if (!is_tie(cands_[i])) continue;
            found = i;
            if (nth-- == 0) break;
        }
        return found;
    }

    // More ties than tracked: two passes over every candidate scoring exactly best_ (every such
    // candidate is a tie, whichever tier scan met it), one for their total weight, one to find
    // whose share holds the point. The shared counts may have moved since; then the last one
    // found will do.
    std::uint32_t weighted_tied(std::uint32_t point) const noexcept {
        std::uint64_t total = 0;
        for (std::uint32_t i = 0; i < s_.candidates.size(); ++i)
            if (is_tie(cands_[i])) total += tie_weight(i);
        std::uint64_t target = scale_point(point, total);
        std::uint32_t found = tied_[tracked_ties - 1];
        for (std::uint32_t i = 0; i < s_.candidates.size(); ++i) {
            if (!is_tie(cands_[i])) continue;
            found = i;
            std::uint64_t w = tie_weight(i);
            if (target < w) break;
            target -= w;
        }
        return found;
    }

    const snapshot& s_;
    const candidate* cands_;
    const std::uint32_t* weights_;
    std::uint16_t country_;
    std::uint32_t region_;
    std::span<const std::uint32_t> live_;
    std::span<const std::uint32_t> skip_;
    const health_view* health_;  // null: every candidate counts as in service
    std::uint32_t out_ = 0;
    double best_ = std::numeric_limits<double>::infinity();
    std::uint32_t ties_ = 0;
    std::uint32_t tied_[tracked_ties];
};

const country_group* find_country(const snapshot& s, std::uint16_t country) noexcept {
    auto it =
        std::lower_bound(s.countries.begin(), s.countries.end(), country,
                         [](const country_group& g, std::uint16_t c) { return g.country < c; });
    return it != s.countries.end() && it->country == country ? &*it : nullptr;
}

// Tiers in order, stopping once no later tier can win.
const backend* select_in(const snapshot& s, scan& k, selection_state& state) noexcept {
    // Tier 0: the client's country.
    if (k.country() != no_country) {
        if (const country_group* g = find_country(s, k.country())) {
            const std::uint32_t* members = s.country_members.data();
            k.offer_members(members + g->begin, members + g->end);
        }
    }
    if (k.best() < 100.0) return k.choose(state);
    // Tier 1: the client's region.
    if (k.region() != no_region) k.offer_region(k.region());
    if (k.best() < 200.0) return k.choose(state);
    // Tier 2: the POP's region.
    std::uint32_t pop = s.pop_region_index;
    if (pop != no_region && pop != k.region()) k.offer_region(pop);
    if (k.best() < 300.0) return k.choose(state);
    // Tier 3: everything else.
    for (std::uint32_t r = 0; r < s.regions.size(); ++r) {
        if (r != k.region() && r != pop) k.offer_region(r);
    }
    return k.choose(state);
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
                              std::span<const std::uint32_t> skip, selection_state& state,
                              const health_view* health) noexcept {
    scan k(s, client, live_by_slot, skip, health);
    const backend* b = select_in(s, k, state);
    if (b != nullptr || k.out_of_service() == 0 || health->panic() == panic_rule::fail_closed)
        return b;
    // Panic: every candidate this client could use is out of service. Fail open: choose among
    // them as if none were checked (skip and hard_limit still hold).
    scan all(s, client, live_by_slot, skip, nullptr);
    return select_in(s, all, state);
}

const backend* bound_backend(const snapshot& s, std::uint32_t slot, std::uint32_t generation,
                             const health_view* health) noexcept {
    if (slot >= s.index_by_slot.size()) return nullptr;
    std::int32_t i = s.index_by_slot[slot];
    if (i < 0) return nullptr;
    const backend& b = s.backends[static_cast<std::size_t>(i)];
    if (b.generation != generation || !b.healthy) return nullptr;
    if (health != nullptr && health->is_out(slot)) return nullptr;
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
