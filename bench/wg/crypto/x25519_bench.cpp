// X25519 shared secret and public key on every path, next to libsodium's crypto_scalarmult
// and OpenSSL's EVP X25519 derive (which includes its per-call context set-up, as a caller pays).
//   build/bench/micro --benchmark_filter=crypto_x25519

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <string>

#include "wg/crypto/impl.hpp"
#include "wg/crypto/x25519.hpp"

namespace {

namespace crypto = edge::wg::crypto;
using key32 = std::array<std::uint8_t, 32>;

key32 filled(std::uint8_t seed) {
    key32 k{};
    for (std::size_t i = 0; i < k.size(); ++i)
        k[i] = std::uint8_t(seed + i * 13);
    return k;
}

void shared(benchmark::State& st, crypto::impl path) {
    crypto::select_impl(path);
    key32 s = filled(1), pub{}, out{};
    crypto::x25519_public_key(pub, filled(2));
    for (auto _ : st) {
        benchmark::DoNotOptimize(crypto::x25519(out, s, pub));
        s[0] ^= out[1];  // a data dependency from one call to the next
    }
}

void public_key(benchmark::State& st, crypto::impl path) {
    crypto::select_impl(path);
    key32 s = filled(3), pub{};
    for (auto _ : st) {
        crypto::x25519_public_key(pub, s);
        s[0] ^= pub[1];
    }
}

void sodium_shared(benchmark::State& st) {
    if (sodium_init() < 0) st.SkipWithError("sodium_init");
    key32 s = filled(1), pub{}, out{};
    crypto_scalarmult_base(pub.data(), filled(2).data());
    for (auto _ : st) {
        benchmark::DoNotOptimize(crypto_scalarmult(out.data(), s.data(), pub.data()));
        s[0] ^= out[1];
    }
}

void openssl_shared(benchmark::State& st) {
    key32 s = filled(1), peer_pub{};
    crypto::x25519_public_key(peer_pub, filled(2));
    EVP_PKEY* peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_pub.data(), 32);
    for (auto _ : st) {
        EVP_PKEY* own = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, s.data(), 32);
        EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(own, nullptr);
        key32 out{};
        std::size_t len = out.size();
        EVP_PKEY_derive_init(ctx);
        EVP_PKEY_derive_set_peer(ctx, peer);
        EVP_PKEY_derive(ctx, out.data(), &len);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(own);
        s[0] ^= out[1];
    }
    EVP_PKEY_free(peer);
}

const bool k_registered = [] {
    for (crypto::impl path : crypto::all_impls()) {
        if (!crypto::is_supported(path)) continue;
        std::string p(crypto::impl_name(path));
        benchmark::RegisterBenchmark(("crypto_x25519/" + p).c_str(), shared, path);
        benchmark::RegisterBenchmark(("crypto_x25519_public/" + p).c_str(), public_key, path);
    }
    benchmark::RegisterBenchmark("crypto_x25519/libsodium", sodium_shared);
    benchmark::RegisterBenchmark("crypto_x25519/openssl", openssl_shared);
    return true;
}();

}  // namespace
