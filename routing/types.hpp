#pragma once
// The routing snapshot as the engine reads it: immutable once published, built by the control
// thread (routing/loader), read by every worker without locks. Types only: no SQLite here.

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/ip_prefix.hpp"
#include "base/socket_address.hpp"
#include "geo/types.hpp"

namespace edge::routing {

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
    geo::country_code country;     // unknown when the table has no country column or it is NULL
    socket_address address;        // ready for connect(2)
    std::uint32_t weight = 1;      // 0 in the table counts as 1
    std::uint32_t soft_limit = 1;  // 0 in the table counts as 1
    std::uint32_t hard_limit = 0;  // 0 = unlimited
    bool healthy = true;
    /// Listed in the optional `draining` table: no new clients are sent here, but clients
    /// already bound to it keep it (see bound_backend in routing/select.hpp).
    bool draining = false;
    /// PROXY protocol version (1 or 2) written to this backend before the client's bytes, from
    /// the optional `send_proxy` table; 0: none.
    std::uint8_t send_proxy = 0;
    /// Stable small integer for this backend id for the life of the process: indexes the
    /// workers' own per-backend arrays (live counts, metrics). Below snapshot::slot_capacity.
    std::uint32_t slot = 0;
    /// Never null in a published snapshot; outlives every snapshot that points to it.
    backend_shared* shared = nullptr;
    /// Changes whenever `slot` is given to a different id, so that a binding (slot, generation)
    /// never follows a slot to a backend it was not made for. Never 0 in a published snapshot.
    std::uint32_t generation = 0;
    /// Index into snapshot::health_checks of this backend's check settings (optional
    /// `health_checks` table), or -1: the proxy's defaults apply.
    std::int32_t health_check = -1;
};

/// The part of a backend that selection reads for every new connection, packed so that the
/// scan over all eligible backends touches one small array. Built by the loader from `backends`;
/// only healthy, non-draining rows appear.
struct candidate {
    double inv_capacity = 1.0;         // 1 / (soft_limit · weight), both already at least 1
    backend_shared* shared = nullptr;  // for the hard_limit check
    std::uint32_t slot = 0;            // the backend is backends[index_by_slot[slot]]
    std::uint32_t hard_limit = 0;      // 0 = unlimited
    std::uint32_t region_index = 0;    // into snapshot::regions
    std::uint16_t country = 0;         // geo::country_code::value; 0 = unknown, matches no client
    std::uint8_t base_tier = 3;        // tier without client geo: 2 in the POP's region, else 3
};
static_assert(sizeof(candidate) == 32, "two candidates per cache line");

/// The candidates of one country: snapshot::country_members[begin, end).
struct country_group {
    std::uint16_t country = 0;  // geo::country_code::value
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
};

/// A country → region override from the optional `country_regions` table.
using country_region = std::pair<geo::country_code, geo::region_code>;

/// An IP prefix (a WireGuard peer's allowed IPs): the project's one prefix type.
using edge::ip_prefix;

/// A WireGuard peer of this POP from the optional `wg_peers` table (issue 13). Plain data: wg/
/// turns it into protocol state. The POP's own private key never comes from routing.db.
struct wg_peer {
    std::array<std::uint8_t, 32> public_key{};
    /// Absent: no preshared key (wg's all-zero key).
    std::optional<std::array<std::uint8_t, 32>> preshared_key;
    /// "host:port" as written (a host name is resolved by the loader into `endpoint`); empty when
    /// the peer has no fixed endpoint and is learnt from its first authenticated packet.
    std::string endpoint_text;
    socket_address endpoint;
    std::vector<ip_prefix> allowed_ips;
    /// Seconds between keepalives; 0 = off.
    std::uint16_t persistent_keepalive = 0;
};

/// How a backend is checked (issue 14).
enum class health_check_kind : std::uint8_t {
    tcp,          // a connect succeeds
    send_expect,  // connect, send `send`, the reply starts with `expect`
    http,         // GET http_path; the status is within [http_status_min, http_status_max]
};

/// One row of the optional `health_checks` table: a backend's check settings. A field left
/// unset takes the proxy's default (its flags).
struct health_check {
    std::string backend_id;
    health_check_kind kind = health_check_kind::tcp;
    std::string send;    // bytes (escapes already decoded); send_expect only
    std::string expect;  // bytes the reply must start with; send_expect only
    std::string http_path = "/";
    std::uint16_t http_status_min = 200;  // e.g. "2xx" → 200–299, "204" → 204–204
    std::uint16_t http_status_max = 299;
    std::optional<std::uint32_t> interval_ms;
    std::optional<std::uint32_t> timeout_ms;
    std::optional<std::uint32_t> rise;  // consecutive passes that make a down backend up
    std::optional<std::uint32_t> fall;  // consecutive failures that make an up backend down
    std::optional<std::uint32_t> jitter_ms;
};

/// An immutable routing table. Workers hold a pointer to the current one and swap at a loop
/// boundary; the control thread frees an old one after every worker has acknowledged the swap.
struct snapshot {
    std::uint64_t version = 0;
    /// The region of this POP (--region), used for tier 2.
    geo::region_code pop_region;
    /// All active (not deleted) rows that passed validation, in table order.
    std::vector<backend> backends;
    /// Every slot in `backends` is below this; workers size their per-slot arrays by it. It
    /// never shrinks from one snapshot to the next of the same registry.
    std::uint32_t slot_capacity = 0;

    // ---- precomputed by the loader for the workers ----
    // Selection visits tiers in order and stops as soon as no later tier can win (a tier-t score
    // is at least 100·t), so a client usually looks only at its own country's backends.
    /// Healthy, non-draining backends, grouped by region (table order within a region).
    std::vector<candidate> candidates;
    /// candidate_weights[i] is candidates[i]'s weight (at least 1, at most 2^24): ties are
    /// shared in proportion to it. Kept apart so that a candidate stays 32 bytes.
    std::vector<std::uint32_t> candidate_weights;
    /// Every candidate has the same weight: ties are shared evenly without reading the weights.
    bool equal_weights = true;
    /// Distinct backend regions, in order of first appearance; candidate::region_index points
    /// here. candidates[region_begin[r], region_begin[r + 1]) are those in regions[r].
    std::vector<geo::region_code> regions;
    std::vector<std::uint32_t> region_begin;
    /// Index of pop_region in `regions`, or UINT32_MAX when no backend is in it.
    std::uint32_t pop_region_index = UINT32_MAX;
    /// Candidates of known country grouped by country (sorted by code): indices into candidates.
    std::vector<country_group> countries;
    std::vector<std::uint32_t> country_members;
    /// slot → index into `backends`, or -1; size slot_capacity. For bindings and metrics.
    std::vector<std::int32_t> index_by_slot;
    /// Rows of the optional `country_regions` table (country → region overrides), table order.
    std::vector<country_region> country_regions;
    /// Rows of the optional `wg_peers` table that passed validation, table order.
    std::vector<wg_peer> wg_peers;
    /// Rows of the optional `health_checks` table that passed validation; backend::health_check
    /// indexes it (rows naming no loaded backend are kept, unreferenced).
    std::vector<health_check> health_checks;
};

using snapshot_ptr = std::shared_ptr<const snapshot>;

/// One worker's tie-breaking state for select_backend. Owned by that worker and passed to each of
/// its calls; never shared between workers (so no atomics). It walks a low-discrepancy sequence
/// (the golden-ratio Weyl sequence) instead of drawing random numbers: among a fixed set of tied
/// backends, n picks then give each backend weight·n/total picks to within a couple, where random
/// draws would stray by about the square root of n (±2.4 of 40 at weights 2:10).
class selection_state {
  public:
    /// `seed` sets where the sequence starts (workers use their index, so that they do not walk
    /// in step). Any thread.
    explicit selection_state(std::uint32_t seed = 0) noexcept : point_(seed * 0x2545f491u) {}

    /// The next point of the sequence, a fraction of 2^32. Owner worker only.
    std::uint32_t next_point() noexcept { return point_ += 0x9e3779b9u; }  // 2^32 / golden ratio

  private:
    std::uint32_t point_;
};

}  // namespace edge::routing
