// BLAKE2s as WireGuard uses it: HASH of 64 bytes (a handshake mix), mac1 (keyed BLAKE2s-128
// over the 116 bytes before it), a 1024-byte hash for throughput, and KDF2 (three HMACs), next
// to OpenSSL's BLAKE2S-256 and BLAKE2SMAC (libsodium has no BLAKE2s). One portable path serves
// every CPU, so there is no per-path split.
//   build/bench/micro --benchmark_filter=crypto_blake2s

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <vector>

#include "wg/crypto/blake2s.hpp"
#include "wg/crypto/hkdf.hpp"

namespace {

namespace crypto = edge::wg::crypto;

void hash(benchmark::State& st, std::size_t len) {
    std::vector<std::uint8_t> in(len, 0x33);
    std::array<std::uint8_t, 32> out{};
    for (auto _ : st) {
        crypto::blake2s_hash(out, in);
        in[0] = out[0];
    }
    st.SetBytesProcessed(std::int64_t(st.iterations() * len));
}

void mac1(benchmark::State& st) {
    std::vector<std::uint8_t> msg(116, 0x44);
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 16> out{};
    for (auto _ : st) {
        crypto::blake2s_hash(out, msg, key);
        msg[0] = out[0];
    }
}

void kdf2(benchmark::State& st) {
    std::array<std::uint8_t, 32> ck{}, t1{}, t2{}, input{};
    for (auto _ : st) {
        crypto::kdf2(t1, t2, ck, input);
        ck[0] = t2[0];
    }
}

void openssl_hash(benchmark::State& st, std::size_t len) {
    std::vector<std::uint8_t> in(len, 0x33);
    std::array<std::uint8_t, 32> out{};
    const EVP_MD* md = EVP_blake2s256();
    for (auto _ : st) {
        unsigned n = 0;
        EVP_Digest(in.data(), in.size(), out.data(), &n, md, nullptr);
        in[0] = out[0];
    }
    st.SetBytesProcessed(std::int64_t(st.iterations() * len));
}

void openssl_mac1(benchmark::State& st) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "BLAKE2SMAC", nullptr);
    std::vector<std::uint8_t> msg(116, 0x44);
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 16> out{};
    std::size_t size = 16;
    for (auto _ : st) {
        EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t("size", &size), OSSL_PARAM_END};
        EVP_MAC_init(ctx, key.data(), key.size(), params);
        EVP_MAC_update(ctx, msg.data(), msg.size());
        std::size_t n = 0;
        EVP_MAC_final(ctx, out.data(), &n, out.size());
        EVP_MAC_CTX_free(ctx);
        msg[0] = out[0];
    }
    EVP_MAC_free(mac);
}

BENCHMARK_CAPTURE(hash, 64, std::size_t(64))->Name("crypto_blake2s/ours/64");
BENCHMARK_CAPTURE(hash, 1024, std::size_t(1024))->Name("crypto_blake2s/ours/1024");
BENCHMARK(mac1)->Name("crypto_blake2s_mac1/ours/116");
BENCHMARK(kdf2)->Name("crypto_blake2s_kdf2/ours");
BENCHMARK_CAPTURE(openssl_hash, 64, std::size_t(64))->Name("crypto_blake2s/openssl/64");
BENCHMARK_CAPTURE(openssl_hash, 1024, std::size_t(1024))->Name("crypto_blake2s/openssl/1024");
BENCHMARK(openssl_mac1)->Name("crypto_blake2s_mac1/openssl/116");

}  // namespace
