#pragma once
// slab<T>: a worker's fixed-capacity pool of records (connections), addressed by a 32-bit slot.
// Memory is reserved once with mmap and touched only as slots are first used, so an idle worker
// with a large capacity costs no resident memory. Freed slots are reused last-in first-out to keep
// the touched set small and warm. Each slot has a generation, bumped on free, that op tags carry
// so a late CQE for a previous occupant is recognised as stale. Single thread (its worker).

#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <utility>

#include "base/result.hpp"

namespace edge::engine {

template <class T>
class slab {
  public:
    static constexpr std::uint32_t npos = ~std::uint32_t{0};

    /// Reserves address space for `capacity` records. Start-up.
    static result<slab> create(std::uint32_t capacity) noexcept {
        slab s;
        s.capacity_ = capacity;
        std::size_t bytes = bytes_for(capacity);
        void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return unexpected(std::errc(errno));
        s.map_ = m;
        s.items_ = static_cast<T*>(m);
        s.gens_ = reinterpret_cast<std::uint32_t*>(static_cast<char*>(m) + items_bytes(capacity));
        s.free_ = s.gens_ + capacity;
        return s;
    }

    slab(slab&& o) noexcept
        : map_(std::exchange(o.map_, nullptr)),
          items_(o.items_),
          gens_(o.gens_),
          free_(o.free_),
          capacity_(o.capacity_),
          fresh_(o.fresh_),
          free_top_(o.free_top_),
          used_(o.used_) {}
    slab& operator=(slab&&) = delete;
    ~slab() {
        if (map_ == nullptr) return;
        // Records still in use are the owner's to have closed; destroy what is constructed.
        for (std::uint32_t i = 0; i < fresh_; ++i)
            if (in_use(i)) items_[i].~T();
        munmap(map_, bytes_for(capacity_));
    }

    /// Takes a free slot and default-constructs its record; npos when full.
    std::uint32_t alloc() noexcept {
        std::uint32_t idx;
        if (free_top_ > 0)
            idx = free_[--free_top_];
        else if (fresh_ < capacity_)
            idx = fresh_++;
        else
            return npos;
        new (&items_[idx]) T();
        gens_[idx] |= 1;  // odd generation: in use
        ++used_;
        return idx;
    }

    /// Destroys the record and returns its slot; its generation moves on.
    void free(std::uint32_t idx) noexcept {
        items_[idx].~T();
        gens_[idx] += 1;  // even: free; the next alloc makes it odd again, a new generation
        free_[free_top_++] = idx;
        --used_;
    }

    T& operator[](std::uint32_t idx) noexcept { return items_[idx]; }
    const T& operator[](std::uint32_t idx) const noexcept { return items_[idx]; }
    std::uint32_t generation(std::uint32_t idx) const noexcept { return gens_[idx]; }
    bool in_use(std::uint32_t idx) const noexcept { return idx < fresh_ && (gens_[idx] & 1); }
    /// True when `idx` is in use by the occupant that had generation `gen`.
    bool is_current(std::uint32_t idx, std::uint32_t gen) const noexcept {
        return idx < fresh_ && gens_[idx] == gen && (gen & 1);
    }
    std::uint32_t used() const noexcept { return used_; }
    std::uint32_t capacity() const noexcept { return capacity_; }
    /// Upper bound of slots ever used, for iterating (drain).
    std::uint32_t high_water() const noexcept { return fresh_; }

  private:
    slab() = default;
    static std::size_t items_bytes(std::uint32_t n) noexcept {
        return (sizeof(T) * std::size_t(n) + 63) & ~std::size_t(63);
    }
    static std::size_t bytes_for(std::uint32_t n) noexcept {
        return items_bytes(n) + 2 * sizeof(std::uint32_t) * std::size_t(n);
    }

    void* map_ = nullptr;
    T* items_ = nullptr;
    std::uint32_t* gens_ = nullptr;
    std::uint32_t* free_ = nullptr;
    std::uint32_t capacity_ = 0;
    std::uint32_t fresh_ = 0;     // slots [0, fresh_) have been handed out at least once
    std::uint32_t free_top_ = 0;  // free_[0, free_top_) are reusable slots
    std::uint32_t used_ = 0;
};

}  // namespace edge::engine
