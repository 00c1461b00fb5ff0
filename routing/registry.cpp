#include "routing/registry.hpp"

#include <cassert>

namespace edge::routing {

backend_registry::backend_registry(std::uint32_t capacity) : capacity_(capacity ? capacity : 1) {}

backend_registry::~backend_registry() = default;

result<slot_assignment, registry_error> backend_registry::acquire(std::string_view id,
                                                                  std::uint64_t version) {
    if (auto it = ids_.find(id); it != ids_.end()) {
        if (version > it->second.last_version) it->second.last_version = version;
        std::uint32_t s = it->second.slot;
        return slot_assignment{s, generation_[s], &shared(s)};
    }
    std::uint32_t s;
    if (!free_.empty()) {
        s = free_.top();
        free_.pop();
    } else if (high_water_ < capacity_) {
        s = high_water_++;
        if (s / chunk_size >= chunks_.size())
            chunks_.push_back(std::make_unique<backend_shared[]>(chunk_size));
        generation_.push_back(0);
    } else {
        return unexpected(registry_error::full);
    }
    // A slot is only freed once its live count is 0 and no worker can see its old id.
    assert(shared(s).live.load(std::memory_order_relaxed) == 0);
    ++generation_[s];
    if (generation_[s] == 0) generation_[s] = 1;  // 0 is "never valid" for bindings
    ids_.emplace(std::string(id), entry{s, version});
    return slot_assignment{s, generation_[s], &shared(s)};
}

std::size_t backend_registry::collect(std::uint64_t acknowledged) {
    std::size_t freed = 0;
    for (auto it = ids_.begin(); it != ids_.end();) {
        std::uint32_t s = it->second.slot;
        if (it->second.last_version < acknowledged &&
            shared(s).live.load(std::memory_order_acquire) == 0) {
            free_.push(s);
            it = ids_.erase(it);
            ++freed;
        } else {
            ++it;
        }
    }
    return freed;
}

std::optional<slot_assignment> backend_registry::find(std::string_view id) const {
    auto it = ids_.find(id);
    if (it == ids_.end()) return std::nullopt;
    std::uint32_t s = it->second.slot;
    return slot_assignment{s, generation_[s], &chunks_[s / chunk_size][s % chunk_size]};
}

backend_shared& backend_registry::shared(std::uint32_t slot) noexcept {
    assert(slot < high_water_);
    return chunks_[slot / chunk_size][slot % chunk_size];
}

}  // namespace edge::routing
