#pragma once
// The routing snapshot as the engine reads it: immutable once published, built by the control
// thread (routing/loader), read by every worker without locks. Types only: no SQLite here.

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "geo/types.hpp"

namespace edge::routing {

/// A backend's socket address, ready for connect(2).
struct endpoint {
    union {
        sockaddr sa;
        sockaddr_in v4;
        sockaddr_in6 v6;
    } addr{};
    socklen_t len = 0;
};

/// State of one backend id that outlives snapshots and is shared by all workers.
struct backend_shared {
    // Sanctioned sharing (design §3): every worker compare-and-adds `live` when it reserves a
    // connection on this backend, so that hard_limit holds across all cores together. Its own
    // cache line: it is the one field written by several cores.
    alignas(64) std::atomic<std::uint32_t> live{0};
};

/// One eligible-or-not backend row, validated, with what selection needs precomputed.
struct backend {
    std::string id;
    std::string app;
    geo::region_code region;
    geo::country_code country;  // unknown when the table has no country column or it is NULL
    endpoint address;
    std::uint32_t weight = 1;      // 0 in the table counts as 1
    std::uint32_t soft_limit = 1;  // 0 in the table counts as 1
    std::uint32_t hard_limit = 0;  // 0 = unlimited
    bool healthy = true;
    /// Stable small integer for this backend id for the life of the process: indexes the
    /// workers' own per-backend arrays (live counts, metrics). Below snapshot::slot_capacity.
    std::uint32_t slot = 0;
    /// Never null in a published snapshot; outlives every snapshot that points to it.
    backend_shared* shared = nullptr;
};

/// An immutable routing table. Workers hold a pointer to the current one and swap at a loop
/// boundary; the control thread frees an old one after every worker has acknowledged the swap.
struct snapshot {
    std::uint64_t version = 0;
    /// The region of this POP (--region), used for tier 2.
    geo::region_code pop_region;
    /// All active (not deleted) rows that passed validation, in table order.
    std::vector<backend> backends;
    /// Every slot in `backends` is below this; workers size their per-slot arrays by it.
    std::uint32_t slot_capacity = 0;
};

using snapshot_ptr = std::shared_ptr<const snapshot>;

}  // namespace edge::routing
