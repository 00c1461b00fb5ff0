// Wiping and constant-time comparison. The wipe is a memset followed by a compiler barrier that
// claims to read the memory, so the store cannot be removed as dead; the comparison ORs the
// differences of all bytes and looks at the result once.

#include "wg/crypto/secret.hpp"

#include <cstring>

namespace edge::wg::crypto {

void secure_wipe(void* p, std::size_t n) noexcept {
    if (n == 0) return;
    std::memset(p, 0, n);
#if defined(__GNUC__) || defined(__clang__)
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = 0;
#endif
}

bool constant_time_equal(std::span<const std::uint8_t> a,
                         std::span<const std::uint8_t> b) noexcept {
    if (a.size() != b.size()) return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= unsigned(a[i] ^ b[i]);
#if defined(__GNUC__) || defined(__clang__)
    // Keep the compiler from turning the loop into an early-exit memcmp.
    __asm__("" : "+r"(diff));
#endif
    return diff == 0;
}

}  // namespace edge::wg::crypto
