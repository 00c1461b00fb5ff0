#include "wg/rate_limiter.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace edge::wg {
namespace {

constexpr std::int64_t k_cost = 1'000'000'000 / rate_limiter::per_second;
constexpr std::int64_t k_max_tokens = k_cost * rate_limiter::burst;
constexpr time_ns k_window = std::chrono::seconds(1);

void ip_words(const socket_address& a, std::uint64_t& hi, std::uint64_t& lo) noexcept {
    std::uint8_t b[16]{};
    if (a.family() == AF_INET) {
        b[10] = b[11] = 0xff;
        std::memcpy(b + 12, &a.addr.v4.sin_addr, 4);
    } else if (a.family() == AF_INET6) {
        std::memcpy(b, &a.addr.v6.sin6_addr, 16);
    }
    std::memcpy(&hi, b, 8);
    std::memcpy(&lo, b + 8, 8);
}

std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64's finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

void load_meter::count(time_ns now) noexcept {
    if (now - window_start_ >= k_window) {
        window_start_ = now;
        in_window_ = 0;
    }
    if (++in_window_ > limit_) loaded_until_ = window_start_ + 2 * k_window;
}

bool load_meter::is_under_load(time_ns now) const noexcept {
    return now < loaded_until_;
}

rate_limiter::rate_limiter(std::size_t slots, std::uint64_t hash_key)
    : table_(std::bit_ceil(std::max<std::size_t>(slots, 2))),
      mask_(table_.size() - 1),
      hash_key_(hash_key) {}

bool rate_limiter::allow(const socket_address& source, time_ns now) noexcept {
    std::uint64_t hi = 0, lo = 0;
    ip_words(source, hi, lo);
    const std::uint64_t h = mix(hi ^ mix(lo ^ hash_key_));
    // Two candidate slots; a new source takes the emptier or staler one.
    entry* a = &table_[h & mask_];
    entry* b = &table_[(h >> 32) & mask_];
    entry* e = nullptr;
    if (a->used && a->ip_hi == hi && a->ip_lo == lo)
        e = a;
    else if (b->used && b->ip_hi == hi && b->ip_lo == lo)
        e = b;
    if (e == nullptr) {
        e = (!a->used || (b->used && a->last <= b->last)) ? a : b;
        *e = entry{hi, lo, now, k_max_tokens - k_cost, true};
        return true;
    }
    const std::int64_t elapsed = std::clamp<std::int64_t>((now - e->last).count(), 0, k_max_tokens);
    e->tokens = std::min(k_max_tokens, e->tokens + elapsed);
    e->last = now;
    if (e->tokens < k_cost) return false;
    e->tokens -= k_cost;
    return true;
}

}  // namespace edge::wg
