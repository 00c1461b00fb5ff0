#pragma once
// mmap_array<T>: a fixed-size array of T, zero-filled, in an anonymous
// mapping reserved once. Pages cost memory only when first touched, so an array sized for the
// worst case (every connection slot, every backend slot) costs only what is used. Move-only;
// unmapped on destruction. T must be a valid value when all its bytes are zero (plain data, or
// lock-free std::atomic integers, which are plain integers) and trivially destructible.

#include <sys/mman.h>

#include <cstddef>
#include <type_traits>
#include <utility>

#include "base/result.hpp"

namespace edge::engine {

template <class T>
class mmap_array {
    static_assert(std::is_trivially_destructible_v<T>, "elements are never destroyed");

  public:
    mmap_array() noexcept = default;

    /// Reserves `n` elements, all zero. Start-up.
    static result<mmap_array> create(std::size_t n) noexcept {
        mmap_array a;
        if (n == 0) return a;
        void* m = mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return errno_error();
        a.data_ = static_cast<T*>(m);
        a.size_ = n;
        return a;
    }

    mmap_array(mmap_array&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    mmap_array& operator=(mmap_array&& o) noexcept {
        if (this != &o) {
            release();
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
        }
        return *this;
    }
    mmap_array(const mmap_array&) = delete;
    mmap_array& operator=(const mmap_array&) = delete;
    ~mmap_array() { release(); }

    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    T* data() noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

  private:
    void release() noexcept {
        if (data_ != nullptr) munmap(data_, size_ * sizeof(T));
        data_ = nullptr;
        size_ = 0;
    }

    T* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace edge::engine
