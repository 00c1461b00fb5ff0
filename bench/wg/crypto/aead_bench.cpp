// ChaCha20-Poly1305 seal and open, 64 / 1420 / 16384 bytes and batches of 32 x 64 and 32 x 1420, on
// every implementation path this CPU supports (crypto_seal/<path>/<bytes>), next to libsodium's
// crypto_aead_chacha20poly1305_ietf and OpenSSL's EVP ChaCha20-Poly1305 in the same run. All
// seal in place with the WireGuard nonce and no associated data, as the data path does; open
// reads a sealed buffer and writes the plaintext elsewhere (the batch open restores its buffers
// with a memcpy each iteration, which is counted against it).
//   ninja -C build bench/micro && build/bench/micro --benchmark_filter='crypto_(seal|open)'

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "wg/crypto/chacha20poly1305.hpp"
#include "wg/crypto/impl.hpp"

namespace {

namespace crypto = edge::wg::crypto;

constexpr std::size_t k_batch = 32;

std::array<std::uint8_t, 32> bench_key() {
    std::array<std::uint8_t, 32> k{};
    for (std::size_t i = 0; i < k.size(); ++i)
        k[i] = std::uint8_t(i * 7 + 1);
    return k;
}

void set_bytes(benchmark::State& st, std::size_t per_iteration) {
    st.SetBytesProcessed(std::int64_t(st.iterations() * per_iteration));
}

// ---- ours ----

void seal(benchmark::State& st, crypto::impl path, std::size_t len) {
    crypto::select_impl(path);
    auto key = bench_key();
    std::vector<std::uint8_t> buf(len + 16, 0x5a);
    std::uint64_t counter = 0;
    for (auto _ : st) {
        crypto::aead_seal_in_place(buf, {}, key, crypto::wg_nonce(counter++));
        benchmark::DoNotOptimize(buf.data());
    }
    set_bytes(st, len);
}

void open(benchmark::State& st, crypto::impl path, std::size_t len) {
    crypto::select_impl(path);
    auto key = bench_key();
    std::vector<std::uint8_t> sealed(len + 16, 0x5a), out(len);
    crypto::aead_seal_in_place(sealed, {}, key, crypto::wg_nonce(7));
    for (auto _ : st) {
        bool ok = crypto::aead_open(out, sealed, {}, key, crypto::wg_nonce(7));
        benchmark::DoNotOptimize(ok);
    }
    set_bytes(st, len);
}

void seal_batch(benchmark::State& st, crypto::impl path, std::size_t len) {
    crypto::select_impl(path);
    auto key = bench_key();
    std::vector<std::uint8_t> bufs(k_batch * (len + 16), 0x5a);
    std::vector<crypto::aead_packet> packets(k_batch);
    std::uint64_t counter = 0;
    for (auto _ : st) {
        for (std::size_t i = 0; i < k_batch; ++i)
            packets[i] = {bufs.data() + i * (len + 16), len, counter++, {}, false};
        crypto::aead_seal_batch(packets, key);
        benchmark::DoNotOptimize(bufs.data());
    }
    set_bytes(st, k_batch * len);
}

void open_batch(benchmark::State& st, crypto::impl path, std::size_t len) {
    crypto::select_impl(path);
    auto key = bench_key();
    std::vector<std::uint8_t> sealed(k_batch * (len + 16), 0x5a), work(sealed.size());
    std::vector<crypto::aead_packet> packets(k_batch);
    for (std::size_t i = 0; i < k_batch; ++i)
        packets[i] = {sealed.data() + i * (len + 16), len, i, {}, false};
    crypto::aead_seal_batch(packets, key);
    for (std::size_t i = 0; i < k_batch; ++i)
        packets[i].data = work.data() + i * (len + 16);
    for (auto _ : st) {
        std::memcpy(work.data(), sealed.data(), sealed.size());
        std::size_t good = crypto::aead_open_batch(packets, key);
        if (good != k_batch) st.SkipWithError("batch open failed");
    }
    set_bytes(st, k_batch * len);
}

// ---- libsodium ----

void sodium_seal(benchmark::State& st, std::size_t len, std::size_t count) {
    if (sodium_init() < 0) st.SkipWithError("sodium_init");
    auto key = bench_key();
    std::vector<std::uint8_t> buf(count * (len + 16), 0x5a);
    std::uint64_t counter = 0;
    for (auto _ : st) {
        for (std::size_t i = 0; i < count; ++i) {
            std::uint8_t* p = buf.data() + i * (len + 16);
            auto nonce = crypto::wg_nonce(counter++);
            crypto_aead_chacha20poly1305_ietf_encrypt_detached(
                p, p + len, nullptr, p, len, nullptr, 0, nullptr, nonce.data(), key.data());
        }
        benchmark::DoNotOptimize(buf.data());
    }
    set_bytes(st, count * len);
}

void sodium_open(benchmark::State& st, std::size_t len, std::size_t count) {
    if (sodium_init() < 0) st.SkipWithError("sodium_init");
    auto key = bench_key();
    auto nonce = crypto::wg_nonce(7);
    std::vector<std::uint8_t> sealed(len + 16, 0x5a), out(len);
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(sealed.data(), sealed.data() + len, nullptr,
                                                       sealed.data(), len, nullptr, 0, nullptr,
                                                       nonce.data(), key.data());
    for (auto _ : st) {
        for (std::size_t i = 0; i < count; ++i) {
            int rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                out.data(), nullptr, sealed.data(), len, sealed.data() + len, nullptr, 0,
                nonce.data(), key.data());
            benchmark::DoNotOptimize(rc);
        }
    }
    set_bytes(st, count * len);
}

// ---- OpenSSL EVP ----

void openssl_seal(benchmark::State& st, std::size_t len, std::size_t count) {
    auto key = bench_key();
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nullptr);
    std::vector<std::uint8_t> buf(count * (len + 16), 0x5a);
    std::uint64_t counter = 0;
    for (auto _ : st) {
        for (std::size_t i = 0; i < count; ++i) {
            std::uint8_t* p = buf.data() + i * (len + 16);
            auto nonce = crypto::wg_nonce(counter++);
            int n = 0;
            EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data());
            EVP_EncryptUpdate(ctx, p, &n, p, int(len));
            EVP_EncryptFinal_ex(ctx, p + n, &n);
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, p + len);
        }
        benchmark::DoNotOptimize(buf.data());
    }
    EVP_CIPHER_CTX_free(ctx);
    set_bytes(st, count * len);
}

void openssl_open(benchmark::State& st, std::size_t len, std::size_t count) {
    auto key = bench_key();
    auto nonce = crypto::wg_nonce(7);
    std::vector<std::uint8_t> sealed(len + 16, 0x5a), out(len + 16);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data());
    EVP_EncryptUpdate(ctx, sealed.data(), &n, sealed.data(), int(len));
    EVP_EncryptFinal_ex(ctx, sealed.data() + n, &n);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, sealed.data() + len);
    EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nullptr);
    for (auto _ : st) {
        for (std::size_t i = 0; i < count; ++i) {
            EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data());
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, sealed.data() + len);
            EVP_DecryptUpdate(ctx, out.data(), &n, sealed.data(), int(len));
            int ok = EVP_DecryptFinal_ex(ctx, out.data() + n, &n);
            if (ok != 1) st.SkipWithError("EVP open failed");
        }
    }
    EVP_CIPHER_CTX_free(ctx);
    set_bytes(st, count * len);
}

// Registered at start-up so that only the paths this CPU runs appear.
const bool k_registered = [] {
    for (crypto::impl path : crypto::all_impls()) {
        if (!crypto::is_supported(path)) continue;
        std::string p(crypto::impl_name(path));
        for (std::size_t len : {64, 1420, 16384}) {
            benchmark::RegisterBenchmark(("crypto_seal/" + p + "/" + std::to_string(len)).c_str(),
                                         seal, path, len);
            benchmark::RegisterBenchmark(("crypto_open/" + p + "/" + std::to_string(len)).c_str(),
                                         open, path, len);
        }
        for (std::size_t len : {64, 1420}) {
            const std::string l = std::to_string(len);
            benchmark::RegisterBenchmark(("crypto_seal_batch/" + p + "/" + l + "x32").c_str(),
                                         seal_batch, path, len);
            benchmark::RegisterBenchmark(("crypto_open_batch/" + p + "/" + l + "x32").c_str(),
                                         open_batch, path, len);
        }
    }
    for (std::size_t len : {64, 1420, 16384}) {
        const std::string l = std::to_string(len);
        benchmark::RegisterBenchmark(("crypto_seal/libsodium/" + l).c_str(), sodium_seal, len, 1);
        benchmark::RegisterBenchmark(("crypto_open/libsodium/" + l).c_str(), sodium_open, len, 1);
        benchmark::RegisterBenchmark(("crypto_seal/openssl/" + l).c_str(), openssl_seal, len, 1);
        benchmark::RegisterBenchmark(("crypto_open/openssl/" + l).c_str(), openssl_open, len, 1);
    }
    for (std::size_t len : {64, 1420}) {
        const std::string l = std::to_string(len) + "x32";
        benchmark::RegisterBenchmark(("crypto_seal_batch/libsodium/" + l).c_str(), sodium_seal, len,
                                     k_batch);
        benchmark::RegisterBenchmark(("crypto_open_batch/libsodium/" + l).c_str(), sodium_open, len,
                                     k_batch);
        benchmark::RegisterBenchmark(("crypto_seal_batch/openssl/" + l).c_str(), openssl_seal, len,
                                     k_batch);
        benchmark::RegisterBenchmark(("crypto_open_batch/openssl/" + l).c_str(), openssl_open, len,
                                     k_batch);
    }
    return true;
}();

}  // namespace
