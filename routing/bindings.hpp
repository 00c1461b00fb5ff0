#pragma once
// binding_table: client affinity. A client IP (v4 or v6) is bound to a backend (slot +
// generation) for a sliding TTL; a client's next connection, on whichever core accepts it, finds
// the same binding.
//
// Sanctioned sharing (design §3, issue 3): one table for all workers, so that affinity holds
// across cores. It is split into shards, each behind its own short lock, and touched once per
// new connection (lookup, then bind), never per relayed chunk. Memory is bounded by max_entries
// (about 48 bytes per entry, resident only as entries are used); when a shard is full its least
// recently used entry is evicted (per-shard LRU approximates "oldest evicted" globally).

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace edge::routing {

/// A client address as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d), so a client
/// reaching a v4 and a dual-stack listener is one client.
struct client_key {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;

    /// From an AF_INET or AF_INET6 socket address (anything else gives the all-zero key).
    static client_key from_sockaddr(const sockaddr* sa) noexcept;
    static client_key from_v4(in_addr a) noexcept;
    static client_key from_v6(const in6_addr& a) noexcept;
    friend bool operator==(const client_key&, const client_key&) = default;
};

/// Where a client is bound: a backend slot and the id generation it had (see backend).
struct binding {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
    friend bool operator==(const binding&, const binding&) = default;
};

/// One entry of the table, as export_entries() gives it (a listener handover passes the
/// table to the process taking over).
struct exported_binding {
    client_key client;
    binding where;
    std::uint64_t last_used_ms = 0;  // on the monotonic clock, which every process shares
};

struct binding_options {
    std::size_t max_entries = 1 << 20;
    std::uint64_t ttl_ms = 600'000;  // --binding-ttl, default 600 s
    std::uint32_t shards = 64;       // rounded down to a power of two, at most max_entries
};

class binding_table {
  public:
    /// Reserves memory for `opts.max_entries` entries (pages are touched as entries fill; each
    /// shard's hash index grows by doubling).
    /// Any thread, before sharing.
    explicit binding_table(const binding_options& opts);
    ~binding_table();
    binding_table(const binding_table&) = delete;
    binding_table& operator=(const binding_table&) = delete;

    /// The client's binding if it is fresh, refreshing it (the TTL slides); an expired entry is
    /// removed and gives nullopt. `now_ms` is a monotonic clock. Any thread.
    std::optional<binding> lookup(const client_key& client, std::uint64_t now_ms) noexcept;

    /// Binds (or rebinds) the client, fresh from `now_ms`. When the shard is full, its least
    /// recently used entry is evicted. Any thread.
    void bind(const client_key& client, binding b, std::uint64_t now_ms) noexcept;

    /// Removes the client's binding if it is still `expected` (so that a worker that saw the
    /// backend refuse does not undo a newer binding made by another). Returns whether it did.
    /// Any thread.
    bool forget(const client_key& client, binding expected) noexcept;

    /// Reclaims up to `budget` expired entries, oldest first. Returns how many. Any thread (the
    /// control thread calls it periodically).
    std::size_t sweep(std::uint64_t now_ms, std::size_t budget) noexcept;

    /// Every entry, fresh or not, least recently used first: bind(client, where, last_used_ms)
    /// in this order rebuilds the same table. Locks one shard at a time. Any thread (a cold
    /// path: a handover).
    std::vector<exported_binding> export_entries() const;

    /// Entries currently held (a relaxed sum; for metrics). Any thread.
    std::size_t size() const noexcept;
    /// The bound on size(). Any thread.
    std::size_t max_entries() const noexcept { return max_entries_; }
    std::uint64_t ttl_ms() const noexcept { return ttl_ms_; }
    /// Entries evicted because a shard was full, since construction. Any thread.
    std::uint64_t evictions() const noexcept;

  private:
    struct shard;
    shard& shard_for(const client_key& k, std::uint64_t& hash) noexcept;

    std::size_t max_entries_;
    std::uint64_t ttl_ms_;
    std::uint32_t shard_bits_;
    std::unique_ptr<shard[]> shards_;
};

}  // namespace edge::routing
