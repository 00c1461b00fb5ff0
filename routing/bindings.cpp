#include "routing/bindings.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace edge::routing {

namespace {

constexpr std::uint32_t nil = std::numeric_limits<std::uint32_t>::max();

struct entry {
    client_key key;
    std::uint64_t last_used;
    binding b;
    std::uint32_t prev;  // LRU neighbours (head = most recent); `next` also chains free entries
    std::uint32_t next;
};

std::uint64_t mix(const client_key& k) noexcept {
    // Two multiply-xorshift rounds (a murmur3-style finaliser): client addresses are far from
    // random in their low bits, and both the shard and the bucket come from this hash.
    std::uint64_t x = k.hi * 0x9E3779B97F4A7C15ull ^ k.lo;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

template <class T>
T* zeroed_array(std::size_t n) {
    // calloc: large blocks come straight from mmap as zero pages, so memory is only touched as
    // the table fills, while the bound is fixed up front.
    void* p = std::calloc(n ? n : 1, sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
}

}  // namespace

// ---- client_key ----

client_key client_key::from_v4(in_addr a) noexcept {
    client_key k;
    k.hi = 0;
    k.lo = (0xffffull << 32) | ntohl(a.s_addr);
    return k;
}

client_key client_key::from_v6(const in6_addr& a) noexcept {
    client_key k;
    for (int i = 0; i < 8; ++i)
        k.hi = (k.hi << 8) | a.s6_addr[i];
    for (int i = 8; i < 16; ++i)
        k.lo = (k.lo << 8) | a.s6_addr[i];
    return k;
}

client_key client_key::from_sockaddr(const sockaddr* sa) noexcept {
    if (sa == nullptr) return {};
    if (sa->sa_family == AF_INET) {
        sockaddr_in v4;
        std::memcpy(&v4, sa, sizeof v4);
        return from_v4(v4.sin_addr);
    }
    if (sa->sa_family == AF_INET6) {
        sockaddr_in6 v6;
        std::memcpy(&v6, sa, sizeof v6);
        return from_v6(v6.sin6_addr);
    }
    return {};
}

// ---- one shard: open addressing (linear probing, backward-shift deletion) + an LRU list ----

struct alignas(64) binding_table::shard {
    std::mutex mu;
    entry* entries = nullptr;
    std::uint32_t* index = nullptr;  // 0 = empty bucket, else entry index + 1
    std::uint32_t capacity = 0;
    std::uint32_t mask = 0;
    std::uint32_t max_buckets = 0;
    std::uint32_t used = 0;  // entries ever handed out; those below are live or on the free list
    std::uint32_t free_head = nil;
    std::uint32_t head = nil;
    std::uint32_t tail = nil;
    std::atomic<std::uint32_t> count{0};
    std::atomic<std::uint64_t> evicted{0};

    ~shard() {
        std::free(entries);
        std::free(index);
    }

    void init(std::uint32_t cap) {
        capacity = cap;
        // At most half full, so probes stay short and always end at an empty bucket. The index
        // starts small and doubles as the shard fills: its buckets are touched at random, so a
        // full-size index would be resident as soon as a few thousand clients had arrived.
        max_buckets = std::bit_ceil(std::max<std::uint32_t>(2, cap * 2));
        std::uint32_t buckets = std::min<std::uint32_t>(max_buckets, 64);
        mask = buckets - 1;
        entries = zeroed_array<entry>(cap);
        index = zeroed_array<std::uint32_t>(buckets);
    }

    void place(std::uint32_t e, std::uint64_t h) noexcept {
        std::uint32_t pos = static_cast<std::uint32_t>(h) & mask;
        while (index[pos] != 0)
            pos = (pos + 1) & mask;
        index[pos] = e + 1;
    }

    // Doubles the index when one more entry would pass half full. Rare (log2 of the capacity
    // times per shard), and only under this shard's lock. Out of memory here aborts (error
    // policy tier 3): bind() is noexcept.
    void grow_if_needed() {
        std::uint32_t buckets = mask + 1;
        if ((count.load(std::memory_order_relaxed) + 1) * 2 <= buckets || buckets >= max_buckets)
            return;
        std::uint32_t* old = index;
        index = zeroed_array<std::uint32_t>(std::size_t{buckets} * 2);
        mask = buckets * 2 - 1;
        for (std::uint32_t e = head; e != nil; e = entries[e].next)
            place(e, mix(entries[e].key));
        std::free(old);
    }

    // The bucket holding `k`, or nil.
    std::uint32_t find(const client_key& k, std::uint64_t h) const noexcept {
        for (std::uint32_t pos = static_cast<std::uint32_t>(h) & mask;; pos = (pos + 1) & mask) {
            std::uint32_t idx = index[pos];
            if (idx == 0) return nil;
            if (entries[idx - 1].key == k) return pos;
        }
    }

    void unlink(std::uint32_t e) noexcept {
        entry& x = entries[e];
        if (x.prev != nil)
            entries[x.prev].next = x.next;
        else
            head = x.next;
        if (x.next != nil)
            entries[x.next].prev = x.prev;
        else
            tail = x.prev;
    }

    void push_front(std::uint32_t e) noexcept {
        entry& x = entries[e];
        x.prev = nil;
        x.next = head;
        if (head != nil) entries[head].prev = e;
        head = e;
        if (tail == nil) tail = e;
    }

    void touch(std::uint32_t e, std::uint64_t now) noexcept {
        entry& x = entries[e];
        if (now > x.last_used) x.last_used = now;
        if (head != e) {
            unlink(e);
            push_front(e);
        }
    }

    void erase_bucket(std::uint32_t pos) noexcept {
        std::uint32_t e = index[pos] - 1;
        unlink(e);
        entries[e].next = free_head;
        free_head = e;
        count.store(count.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
        // Backward shift: pull later entries of the probe run into the hole when their home
        // bucket does not lie between the hole and where they sit.
        std::uint32_t hole = pos;
        index[hole] = 0;
        for (std::uint32_t j = (hole + 1) & mask; index[j] != 0; j = (j + 1) & mask) {
            std::uint32_t home = static_cast<std::uint32_t>(mix(entries[index[j] - 1].key)) & mask;
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                index[hole] = index[j];
                index[j] = 0;
                hole = j;
            }
        }
    }

    void insert(const client_key& k, std::uint64_t h, binding b, std::uint64_t now) {
        if (count.load(std::memory_order_relaxed) >= capacity) {
            const entry& oldest = entries[tail];
            erase_bucket(find(oldest.key, mix(oldest.key)));
            evicted.fetch_add(1, std::memory_order_relaxed);
        }
        grow_if_needed();  // before the new entry joins the list the rehash walks
        std::uint32_t e;
        if (free_head != nil) {
            e = free_head;
            free_head = entries[e].next;
        } else {
            e = used++;
        }
        entries[e].key = k;
        entries[e].b = b;
        entries[e].last_used = now;
        push_front(e);
        place(e, h);
        count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
};

// ---- binding_table ----

binding_table::binding_table(const binding_options& opts)
    : max_entries_(std::max<std::size_t>(1, opts.max_entries)), ttl_ms_(opts.ttl_ms) {
    std::size_t n =
        std::bit_floor(std::max<std::size_t>(1, std::min<std::size_t>(opts.shards, max_entries_)));
    shard_bits_ = static_cast<std::uint32_t>(std::countr_zero(n));
    shards_ = std::make_unique<shard[]>(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t cap = max_entries_ / n + (i < max_entries_ % n ? 1 : 0);
        shards_[i].init(static_cast<std::uint32_t>(cap));
    }
}

binding_table::~binding_table() = default;

binding_table::shard& binding_table::shard_for(const client_key& k, std::uint64_t& hash) noexcept {
    hash = mix(k);
    // High bits pick the shard, low bits the bucket inside it.
    std::size_t i = shard_bits_ ? static_cast<std::size_t>(hash >> (64 - shard_bits_)) : 0;
    return shards_[i];
}

std::optional<binding> binding_table::lookup(const client_key& client,
                                             std::uint64_t now_ms) noexcept {
    std::uint64_t h;
    shard& s = shard_for(client, h);
    std::lock_guard lock(s.mu);
    std::uint32_t pos = s.find(client, h);
    if (pos == nil) return std::nullopt;
    std::uint32_t e = s.index[pos] - 1;
    entry& x = s.entries[e];
    if (now_ms >= x.last_used && now_ms - x.last_used >= ttl_ms_) {
        s.erase_bucket(pos);
        return std::nullopt;
    }
    s.touch(e, now_ms);
    return x.b;
}

void binding_table::bind(const client_key& client, binding b, std::uint64_t now_ms) noexcept {
    std::uint64_t h;
    shard& s = shard_for(client, h);
    std::lock_guard lock(s.mu);
    std::uint32_t pos = s.find(client, h);
    if (pos != nil) {
        std::uint32_t e = s.index[pos] - 1;
        s.entries[e].b = b;
        s.entries[e].last_used = now_ms;
        s.touch(e, now_ms);
        return;
    }
    s.insert(client, h, b, now_ms);
}

bool binding_table::forget(const client_key& client, binding expected) noexcept {
    std::uint64_t h;
    shard& s = shard_for(client, h);
    std::lock_guard lock(s.mu);
    std::uint32_t pos = s.find(client, h);
    if (pos == nil || !(s.entries[s.index[pos] - 1].b == expected)) return false;
    s.erase_bucket(pos);
    return true;
}

std::size_t binding_table::sweep(std::uint64_t now_ms, std::size_t budget) noexcept {
    std::size_t n = std::size_t{1} << shard_bits_;
    std::size_t reclaimed = 0;
    for (std::size_t i = 0; i < n && reclaimed < budget; ++i) {
        shard& s = shards_[i];
        std::lock_guard lock(s.mu);
        while (s.tail != nil && reclaimed < budget) {
            const entry& oldest = s.entries[s.tail];
            if (now_ms < oldest.last_used || now_ms - oldest.last_used < ttl_ms_) break;
            s.erase_bucket(s.find(oldest.key, mix(oldest.key)));
            ++reclaimed;
        }
    }
    return reclaimed;
}

std::vector<exported_binding> binding_table::export_entries() const {
    std::vector<exported_binding> out;
    out.reserve(size());
    std::size_t n = std::size_t{1} << shard_bits_;
    for (std::size_t i = 0; i < n; ++i) {
        shard& s = shards_[i];
        std::lock_guard lock(s.mu);
        for (std::uint32_t e = s.tail; e != nil; e = s.entries[e].prev)
            out.push_back({s.entries[e].key, s.entries[e].b, s.entries[e].last_used});
    }
    // Shards interleave in time: order them all by last use.
    std::stable_sort(out.begin(), out.end(),
                     [](const exported_binding& a, const exported_binding& b) {
                         return a.last_used_ms < b.last_used_ms;
                     });
    return out;
}

std::size_t binding_table::size() const noexcept {
    std::size_t n = std::size_t{1} << shard_bits_, total = 0;
    for (std::size_t i = 0; i < n; ++i)
        total += shards_[i].count.load(std::memory_order_relaxed);
    return total;
}

std::uint64_t binding_table::evictions() const noexcept {
    std::size_t n = std::size_t{1} << shard_bits_;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < n; ++i)
        total += shards_[i].evicted.load(std::memory_order_relaxed);
    return total;
}

}  // namespace edge::routing
