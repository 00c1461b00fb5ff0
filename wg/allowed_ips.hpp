#pragma once
// Cryptokey routing (whitepaper §2): the allowed-IPs table, one longest-prefix match per family
// answering both questions the data path asks — which peer an outgoing packet's destination
// belongs to, and whether a decrypted packet's source is one its peer may send from.
//
// Two types, split by who writes: `allowed_ips` is the editable set (control thread: config,
// peers added and removed), and `allowed_ips_table` the immutable lookup structure it compiles,
// shared read-only by every worker (a new table replaces the old at a loop boundary, like the
// routing snapshot). The table stores the address space as sorted disjoint intervals, each with
// the peer of the longest prefix covering it, plus a 65,536-bucket index on 16 address bits (the
// first bits in which the table's prefixes differ), so a lookup is one index read and a binary
// search over the few boundaries in its bucket: ~10-25 ns at 100,000 prefixes (docs/BENCHMARKS.md).

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_prefix.hpp"
#include "wg/types.hpp"

namespace edge::wg {

__extension__ typedef unsigned __int128 uint128;

/// IPv4 and IPv6 prefixes: the project's one prefix type (base/ip_prefix.hpp).
using edge::ip_prefix;

/// The compiled, immutable longest-prefix table. Any thread may look up concurrently.
class allowed_ips_table {
  public:
    /// The peer whose longest prefix covers the address, or no_peer. Any thread.
    peer_id lookup_v4(std::uint32_t address_host_order) const noexcept;
    peer_id lookup_v6(const std::uint8_t address[16]) const noexcept;
    /// The peer for an IP packet's destination (outbound) or source (inbound check), or no_peer
    /// when the header is too short to hold the address. Any thread.
    peer_id destination_peer(std::span<const std::uint8_t> ip_packet) const noexcept;
    peer_id source_peer(std::span<const std::uint8_t> ip_packet) const noexcept;

    /// Builds the table from prefixes and their peers (no two entries with the same prefix).
    /// Control thread.
    static std::shared_ptr<const allowed_ips_table> build(
        std::span<const std::pair<ip_prefix, peer_id>> entries);

    template <class Key>
    struct family {
        struct interval {
            Key start;  // ascending; the first interval starts at 0
            peer_id peer;
        };
        // Start and peer side by side: the peer is on the cache line the search just read.
        std::vector<interval> intervals;
        std::vector<std::uint32_t> bucket_first;  // 65,537 entries: first interval of a bucket
        Key region_lo = 0, region_hi = 0;         // the span every prefix lies in
        unsigned shift = 0;  // bucket = 16 bits of the key after the top `shift` bits
        bool empty = true;

        /// The peer of the interval holding k, or no_peer. Any thread.
        peer_id lookup(Key k) const noexcept;
    };

  private:
    family<std::uint32_t> v4_;
    family<uint128> v6_;
};

/// The editable set of prefixes per peer. Control thread only.
class allowed_ips {
  public:
    /// Gives `prefix` to `peer`, taking it from any peer that had it (wg's semantics). Invalidates
    /// the compiled table. Control thread.
    void insert(const ip_prefix& prefix, peer_id peer);
    /// Removes every prefix of `peer`. Control thread.
    void remove_peer(peer_id peer);
    /// The prefixes of one peer, sorted. Control thread.
    std::vector<ip_prefix> of_peer(peer_id peer) const;
    std::size_t size() const noexcept { return entries_.size(); }
    /// The compiled table for the current set, rebuilt when the set changed since the last call.
    /// Control thread; the table itself may then go to any thread.
    std::shared_ptr<const allowed_ips_table> table();
    /// The same table by reference (no reference count touched), valid until the next change.
    /// Control thread.
    const allowed_ips_table& current() { return *table(); }

  private:
    std::map<ip_prefix, peer_id> entries_;
    std::shared_ptr<const allowed_ips_table> table_;
};

}  // namespace edge::wg
