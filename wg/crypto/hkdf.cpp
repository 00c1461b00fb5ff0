// HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256 with its 64-byte block) and WireGuard's KDF1/2/3
// (whitepaper §5.4, an HKDF per RFC 5869 with the chaining key as salt and counters 1..3 as
// info). t0, the pseudorandom key, is computed before any output is written, so outputs may
// alias the chaining key; every intermediate is wiped.

#include "wg/crypto/hkdf.hpp"

#include <array>
#include <cstring>

#include "wg/crypto/blake2s.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto {
namespace {

using key32 = std::array<std::uint8_t, 32>;

// HMAC over the concatenation of up to two parts, so callers need no scratch buffer.
void hmac2(std::span<std::uint8_t, 32> out, std::span<const std::uint8_t> key,
           std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
    std::uint8_t k0[blake2s::block_size] = {};
    if (key.size() > blake2s::block_size) {
        blake2s_hash(std::span<std::uint8_t>(k0, 32), key);
    } else if (!key.empty()) {
        std::memcpy(k0, key.data(), key.size());
    }
    std::uint8_t pad[blake2s::block_size];
    for (std::size_t i = 0; i < sizeof pad; ++i)
        pad[i] = k0[i] ^ 0x36;
    std::uint8_t inner[32];
    blake2s h;
    h.update(pad);
    h.update(a);
    h.update(b);
    h.finish(inner);
    for (std::size_t i = 0; i < sizeof pad; ++i)
        pad[i] = k0[i] ^ 0x5c;
    blake2s o;
    o.update(pad);
    o.update(inner);
    o.finish(out);
    secure_wipe(k0, sizeof k0);
    secure_wipe(pad, sizeof pad);
    secure_wipe(inner, sizeof inner);
}

void kdf_n(std::span<std::uint8_t, 32>* outs, int n, std::span<const std::uint8_t, 32> ck,
           std::span<const std::uint8_t> input) noexcept {
    key32 t0;
    hmac2(t0, ck, input, {});
    // ck is not read again, so the outputs may alias it.
    for (int i = 0; i < n; ++i) {
        const std::uint8_t counter = std::uint8_t(i + 1);
        std::span<const std::uint8_t> chained;
        if (i > 0) chained = outs[i - 1];
        hmac2(outs[i], t0, chained, std::span<const std::uint8_t>(&counter, 1));
    }
    secure_wipe(std::span(t0));
}

}  // namespace

void hmac_blake2s(std::span<std::uint8_t, 32> out, std::span<const std::uint8_t> key,
                  std::span<const std::uint8_t> msg) noexcept {
    hmac2(out, key, msg, {});
}

void kdf1(std::span<std::uint8_t, 32> t1, std::span<const std::uint8_t, 32> ck,
          std::span<const std::uint8_t> input) noexcept {
    std::span<std::uint8_t, 32> outs[1] = {t1};
    kdf_n(outs, 1, ck, input);
}

void kdf2(std::span<std::uint8_t, 32> t1, std::span<std::uint8_t, 32> t2,
          std::span<const std::uint8_t, 32> ck, std::span<const std::uint8_t> input) noexcept {
    std::span<std::uint8_t, 32> outs[2] = {t1, t2};
    kdf_n(outs, 2, ck, input);
}

void kdf3(std::span<std::uint8_t, 32> t1, std::span<std::uint8_t, 32> t2,
          std::span<std::uint8_t, 32> t3, std::span<const std::uint8_t, 32> ck,
          std::span<const std::uint8_t> input) noexcept {
    std::span<std::uint8_t, 32> outs[3] = {t1, t2, t3};
    kdf_n(outs, 3, ck, input);
}

}  // namespace edge::wg::crypto
