#include "wg/allowed_ips.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/socket_address.hpp"

namespace edge::wg {
namespace {

constexpr std::size_t k_buckets = 65536;

template <class Key>
constexpr unsigned k_bits = sizeof(Key) * 8;

std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

uint128 load_be128(const std::uint8_t* p) noexcept {
    uint128 v = 0;
    for (int i = 0; i < 16; ++i)
        v = v << 8 | p[i];
    return v;
}

template <class Key>
Key host_mask(unsigned length) noexcept {  // the bits a prefix of this length leaves free
    return length >= k_bits<Key> ? Key(0) : Key(~Key(0)) >> length;
}

template <class Key>
unsigned leading_zeros(Key x) noexcept {
    if constexpr (sizeof(Key) == 16) {
        const auto hi = std::uint64_t(x >> 64);
        return hi != 0 ? unsigned(std::countl_zero(hi))
                       : 64 + unsigned(std::countl_zero(std::uint64_t(x)));
    } else {
        return unsigned(std::countl_zero(x));
    }
}

template <class Key>
struct prefix_range {
    Key first, last;  // inclusive
    unsigned length;
    peer_id peer;
};

// The sweep: prefixes sorted by start then by length (an outer prefix before the inner ones it
// contains; prefixes never partly overlap), a stack of the prefixes covering the position, and
// an interval boundary wherever the innermost covering prefix changes.
template <class Key>
void build_family(allowed_ips_table::family<Key>& f, std::vector<prefix_range<Key>> ranges) {
    struct {
        std::vector<Key> starts;
        std::vector<peer_id> peers;
    } flat;
    auto& starts = flat.starts;
    auto& peers = flat.peers;
    std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first : a.length < b.length;
    });
    auto emit = [&starts, &peers](Key at, peer_id p) {
        if (!starts.empty() && starts.back() == at) {
            peers.back() = p;
            if (peers.size() >= 2 && peers[peers.size() - 2] == p) {
                starts.pop_back();
                peers.pop_back();
            }
        } else if (peers.empty() || peers.back() != p) {
            starts.push_back(at);
            peers.push_back(p);
        }
    };
    std::vector<prefix_range<Key>> open;
    auto close_until = [&](auto should_close) {
        while (!open.empty() && should_close(open.back())) {
            const Key after = open.back().last;
            open.pop_back();
            if (after == Key(~Key(0))) continue;  // nothing lies beyond the top of the space
            emit(Key(after + 1), open.empty() ? no_peer : open.back().peer);
        }
    };
    emit(0, no_peer);
    for (const auto& r : ranges) {
        close_until([&](const auto& top) { return top.last < r.first; });
        open.push_back(r);
        emit(r.first, r.peer);
    }
    close_until([](const auto&) { return true; });

    f.empty = ranges.empty();
    if (f.empty) return;
    f.region_lo = ranges.front().first;
    f.region_hi = 0;
    for (const auto& r : ranges)
        f.region_hi = std::max(f.region_hi, r.last);
    // Bucket on the 16 bits after those every prefix shares.
    f.shift = std::min(leading_zeros<Key>(Key(f.region_lo ^ f.region_hi)), k_bits<Key> - 16);
    f.bucket_first.assign(k_buckets + 1, 0);
    auto bucket_of = [&f](Key k) { return std::size_t(Key(k << f.shift) >> (k_bits<Key> - 16)); };
    std::size_t i = 0;
    for (std::size_t b = 0; b < k_buckets; ++b) {
        // First interval whose start lies in bucket b or later (within the region).
        while (i < starts.size() &&
               (starts[i] < f.region_lo || (starts[i] <= f.region_hi && bucket_of(starts[i]) < b)))
            ++i;
        f.bucket_first[b] = std::uint32_t(i);
    }
    f.bucket_first[k_buckets] =
        std::uint32_t(std::upper_bound(starts.begin(), starts.end(), f.region_hi) - starts.begin());
    f.intervals.resize(starts.size());
    for (std::size_t j = 0; j < starts.size(); ++j)
        f.intervals[j] = {starts[j], peers[j]};
}

}  // namespace

// ---------------------------------------------------------------- ip_prefix

// ---------------------------------------------------------------- allowed_ips_table

template <class Key>
peer_id allowed_ips_table::family<Key>::lookup(Key k) const noexcept {
    if (empty || k < region_lo || k > region_hi) return no_peer;
    const std::size_t b = std::size_t(Key(k << shift) >> (k_bits<Key> - 16));
    const std::uint32_t lo = bucket_first[b], hi = bucket_first[b + 1];
    // The last interval starting at or before k: within the bucket, or the one before it.
    const auto* s = intervals.data();
    std::uint32_t first = lo, count = hi - lo;
    while (count > 0) {
        const std::uint32_t half = count / 2;
        if (s[first + half].start <= k) {
            first += half + 1;
            count -= half + 1;
        } else {
            count = half;
        }
    }
    return s[first - 1].peer;  // first >= 1: the interval at 0 lies before every bucket's region
}

peer_id allowed_ips_table::lookup_v4(std::uint32_t a) const noexcept {
    return v4_.lookup(a);
}

peer_id allowed_ips_table::lookup_v6(const std::uint8_t address[16]) const noexcept {
    return v6_.lookup(load_be128(address));
}

peer_id allowed_ips_table::destination_peer(std::span<const std::uint8_t> p) const noexcept {
    if (p.empty()) return no_peer;
    if (p[0] >> 4 == 4 && p.size() >= 20) return lookup_v4(load_be32(p.data() + 16));
    if (p[0] >> 4 == 6 && p.size() >= 40) return lookup_v6(p.data() + 24);
    return no_peer;
}

peer_id allowed_ips_table::source_peer(std::span<const std::uint8_t> p) const noexcept {
    if (p.empty()) return no_peer;
    if (p[0] >> 4 == 4 && p.size() >= 20) return lookup_v4(load_be32(p.data() + 12));
    if (p[0] >> 4 == 6 && p.size() >= 40) return lookup_v6(p.data() + 8);
    return no_peer;
}

std::shared_ptr<const allowed_ips_table> allowed_ips_table::build(
    std::span<const std::pair<ip_prefix, peer_id>> entries) {
    std::vector<prefix_range<std::uint32_t>> v4;
    std::vector<prefix_range<uint128>> v6;
    for (const auto& [p, peer] : entries) {
        if (p.is_v6) {
            const uint128 first = load_be128(p.bytes.data());
            v6.push_back({first, first | host_mask<uint128>(p.length), p.length, peer});
        } else {
            const std::uint32_t first = load_be32(p.bytes.data());
            v4.push_back({first, first | host_mask<std::uint32_t>(p.length), p.length, peer});
        }
    }
    auto t = std::make_shared<allowed_ips_table>();
    build_family(t->v4_, std::move(v4));
    build_family(t->v6_, std::move(v6));
    return t;
}

// ---------------------------------------------------------------- allowed_ips

void allowed_ips::insert(const ip_prefix& prefix, peer_id peer) {
    entries_[prefix] = peer;
    table_.reset();
}

void allowed_ips::remove_peer(peer_id peer) {
    std::erase_if(entries_, [peer](const auto& e) { return e.second == peer; });
    table_.reset();
}

std::vector<ip_prefix> allowed_ips::of_peer(peer_id peer) const {
    std::vector<ip_prefix> out;
    for (const auto& [p, owner] : entries_)
        if (owner == peer) out.push_back(p);
    return out;
}

std::shared_ptr<const allowed_ips_table> allowed_ips::table() {
    if (!table_) {
        std::vector<std::pair<ip_prefix, peer_id>> flat(entries_.begin(), entries_.end());
        table_ = allowed_ips_table::build(flat);
    }
    return table_;
}

}  // namespace edge::wg
