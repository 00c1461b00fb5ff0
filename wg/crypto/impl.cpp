// Path selection. The backend tables live here; the active one is an atomic pointer read with
// relaxed order on each call (a plain load on x86), first set from EDGE_CRYPTO_IMPL or the CPU's
// features. __builtin_cpu_supports checks the OS's XCR0 too, so a path is only offered when the
// kernel saves its registers.

#include "wg/crypto/impl.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "wg/crypto/detail/backend.hpp"

namespace edge::wg::crypto {
namespace {

using namespace detail;

constexpr std::array<impl, 4> k_all = {impl::portable, impl::scalar64, impl::avx2, impl::avx512};

const backend k_portable = {
    "portable",
    1,
    chacha20_stream_portable,
    chacha20_xor_portable,
    nullptr,
    xor_bytes_portable,
    poly1305_mac_portable,
    poly1305_aead_portable,
    x25519_portable,
};
const backend k_scalar64 = {
    "scalar64",
    1,
    chacha20_stream_portable,
    chacha20_xor_portable,
    nullptr,
    xor_bytes_portable,
    poly1305_mac_scalar64,
    poly1305_aead_scalar64,
    x25519_scalar64,
};
#if defined(__x86_64__)
const backend k_avx2 = {
    "avx2",
    8,
    chacha20_stream_avx2,
    chacha20_xor_avx2,
    chacha20_jobs_avx2,
    xor_bytes_avx2,
    poly1305_mac_scalar64,
    poly1305_aead_scalar64,
    x25519_scalar64,
};
const backend k_avx512 = {
    "avx512",
    16,
    chacha20_stream_avx512,
    chacha20_xor_avx512,
    chacha20_jobs_avx512,
    xor_bytes_avx512,
    poly1305_mac_ifma,
    poly1305_aead_ifma,
    x25519_scalar64,
};
#endif

const backend* table_of(impl i) noexcept {
    switch (i) {
        case impl::portable:
            return &k_portable;
        case impl::scalar64:
            return &k_scalar64;
#if defined(__x86_64__)
        case impl::avx2:
            return &k_avx2;
        case impl::avx512:
            return &k_avx512;
#else
        default:
            break;
#endif
    }
    return nullptr;
}

impl best_supported() noexcept {
    for (auto it = k_all.rbegin(); it != k_all.rend(); ++it)
        if (is_supported(*it)) return *it;
    return impl::portable;
}

impl initial_impl() noexcept {
    const char* env = std::getenv("EDGE_CRYPTO_IMPL");
    if (env == nullptr || *env == '\0') return best_supported();
    auto want = parse_impl(env);
    if (want && is_supported(*want)) return *want;
    // A debugging knob, not configuration: say so once and run on the best path rather than
    // refuse to start.
    std::fprintf(stderr, "EDGE_CRYPTO_IMPL=%s: %s; using %s\n", env,
                 want ? "not supported by this CPU" : "unknown (portable, scalar64, avx2, avx512)",
                 table_of(best_supported())->name);
    return best_supported();
}

std::atomic<const backend*> g_active{nullptr};

}  // namespace

std::span<const impl> all_impls() noexcept {
    return k_all;
}

std::string_view impl_name(impl i) noexcept {
    switch (i) {
        case impl::portable:
            return "portable";
        case impl::scalar64:
            return "scalar64";
        case impl::avx2:
            return "avx2";
        case impl::avx512:
            return "avx512";
    }
    return "?";
}

std::optional<impl> parse_impl(std::string_view name) noexcept {
    for (impl i : k_all)
        if (impl_name(i) == name) return i;
    return std::nullopt;
}

bool is_supported(impl i) noexcept {
    switch (i) {
        case impl::portable:
            return true;
        case impl::scalar64:
#if defined(__SIZEOF_INT128__)
            return true;
#else
            return false;
#endif
#if defined(__x86_64__)
        case impl::avx2:
            return __builtin_cpu_supports("avx2");
        case impl::avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                   __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512ifma");
#else
        default:
            return false;
#endif
    }
    return false;
}

impl active_impl() noexcept {
    const backend* b = &detail::active_backend();
    for (impl i : k_all)
        if (table_of(i) == b) return i;
    return impl::portable;
}

bool select_impl(impl i) noexcept {
    if (!is_supported(i)) return false;
    g_active.store(table_of(i), std::memory_order_relaxed);
    return true;
}

namespace detail {

const backend& active_backend() noexcept {
    const backend* b = g_active.load(std::memory_order_relaxed);
    if (b != nullptr) [[likely]]
        return *b;
    // First use: racing threads compute the same answer, so a plain store is enough.
    static const backend* const initial = table_of(initial_impl());
    const backend* expected = nullptr;
    g_active.compare_exchange_strong(expected, initial, std::memory_order_relaxed);
    return *g_active.load(std::memory_order_relaxed);
}

}  // namespace detail
}  // namespace edge::wg::crypto
