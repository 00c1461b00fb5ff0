#pragma once
// backend_registry: gives every backend id a stable slot and owns the state that outlives
// snapshots (backend_shared, with the cross-core live count). Control thread only; workers reach
// backend_shared through the pointers a snapshot carries, never through the registry.
//
// Slot life: an id gets a slot the first time a snapshot build names it and keeps it while any
// snapshot that may still be in use names it. The control thread calls collect(v) once every
// worker has acknowledged snapshot v: ids absent from v and from every build after it, whose
// live count has dropped to 0, give their slot back. A reused slot gets a new generation, so a
// binding made for the old id never matches the new one.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "routing/types.hpp"

namespace edge::routing {

/// What a snapshot build needs to know about an id's slot.
struct slot_assignment {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
    backend_shared* shared = nullptr;
};

enum class registry_error : std::uint8_t { full };

class backend_registry {
  public:
    static constexpr std::uint32_t default_capacity = 65536;

    /// A registry holding at most `capacity` ids at once (at least 1). Control thread.
    explicit backend_registry(std::uint32_t capacity = default_capacity);
    backend_registry(const backend_registry&) = delete;
    backend_registry& operator=(const backend_registry&) = delete;
    ~backend_registry();

    /// Starts a snapshot build: returns its version, higher than every earlier one. Control thread.
    std::uint64_t begin_build() noexcept { return ++last_version_; }

    /// The slot of `id` for the build `version` (from begin_build), assigning a free one if the id
    /// has none; registry_error::full when all `capacity` slots are held. Control thread.
    result<slot_assignment, registry_error> acquire(std::string_view id, std::uint64_t version);

    /// Every worker has acknowledged snapshot `acknowledged`, so no older one is in use: frees the
    /// slots of ids absent from it and from every later build whose live count is 0 (others are
    /// retried on the next call). Returns how many slots were freed. Control thread.
    std::size_t collect(std::uint64_t acknowledged);

    /// Where `id` currently sits, if it holds a slot. Control thread.
    std::optional<slot_assignment> find(std::string_view id) const;

    /// The shared state of `slot` (below slot_high_water()); its address never changes.
    /// Control thread (workers use backend::shared).
    backend_shared& shared(std::uint32_t slot) noexcept;

    /// Maximum number of ids held at once. Any thread.
    std::uint32_t capacity() const noexcept { return capacity_; }
    /// Every slot ever handed out is below this; it never decreases. Control thread.
    std::uint32_t slot_high_water() const noexcept { return high_water_; }
    /// Number of ids holding a slot. Control thread.
    std::size_t size() const noexcept { return ids_.size(); }

  private:
    struct entry {
        std::uint32_t slot;
        std::uint64_t last_version;  // newest build that named this id
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    static constexpr std::uint32_t chunk_size = 256;

    std::uint32_t capacity_;
    std::uint32_t high_water_ = 0;
    std::uint64_t last_version_ = 0;
    std::unordered_map<std::string, entry, string_hash, std::equal_to<>> ids_;
    // Lowest free slot first, so that per-slot arrays stay dense.
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> free_;
    std::vector<std::uint32_t> generation_;  // per slot, bumped on every assignment
    // backend_shared in fixed chunks, allocated as the high-water mark grows: addresses stay
    // stable and an idle registry costs no memory for its full capacity.
    std::vector<std::unique_ptr<backend_shared[]>> chunks_;
};

}  // namespace edge::routing
