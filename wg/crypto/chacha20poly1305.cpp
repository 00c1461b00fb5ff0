// ChaCha20-Poly1305 (RFC 8439 §2.8) over the active path's kernels.
//
// One keystream call at the path's widest width yields the Poly1305 key (block 0, §2.6) together
// with the first data blocks, so a 1420-byte packet costs one 16-block and one 8-block pass on
// AVX-512 rather than an extra pass for the key. Seal encrypts then authenticates the
// ciphertext; open authenticates first and decrypts only after the tag compares equal (in
// constant time), so a forged packet leaves its buffer untouched. Key-derived bytes on the stack
// are wiped before returning.

#include "wg/crypto/chacha20poly1305.hpp"

#include "wg/crypto/detail/backend.hpp"
#include "wg/crypto/detail/bytes.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg::crypto {
namespace {

using detail::backend;
using detail::chacha_state;

constexpr std::size_t k_max_wide_blocks = 16;

// Block 0 and the first data blocks of keystream, with the state positioned after them.
struct keystream_head {
    alignas(64) std::uint8_t ks[k_max_wide_blocks * 64];
    chacha_state st;
    std::size_t blocks;  // blocks in ks, block 0 included
    std::size_t bytes;   // data bytes ks covers after block 0

    keystream_head(const backend& b, const std::uint8_t key[32], const std::uint8_t nonce[12],
                   std::size_t len) noexcept {
        detail::chacha_init(st, key, nonce, 0);
        std::size_t want = 1 + (len + 63) / 64;
        blocks = want < b.chacha_wide_blocks ? want : b.chacha_wide_blocks;
        b.chacha20_stream(st, ks, blocks);
        bytes = (blocks - 1) * 64 < len ? (blocks - 1) * 64 : len;
        st.w[12] = std::uint32_t(blocks);
    }
    ~keystream_head() {
        secure_wipe(ks, blocks * 64);
        secure_wipe(&st, sizeof st);
    }

    void apply(const backend& b, const std::uint8_t* in, std::uint8_t* out,
               std::size_t len) const noexcept {
        b.xor_bytes(out, in, ks + 64, bytes);
        if (len > bytes) b.chacha20_xor(st, in + bytes, out + bytes, len - bytes);
    }
};

void seal_raw(const backend& b, std::uint8_t* out, std::uint8_t tag[16], const std::uint8_t* in,
              std::size_t len, const std::uint8_t* ad, std::size_t ad_len,
              const std::uint8_t key[32], const std::uint8_t nonce[12]) noexcept {
    keystream_head head(b, key, nonce, len);
    head.apply(b, in, out, len);
    b.poly1305_aead(tag, head.ks, ad, ad_len, out, len);
}

bool open_raw(const backend& b, std::uint8_t* out, const std::uint8_t* in, std::size_t len,
              const std::uint8_t tag[16], const std::uint8_t* ad, std::size_t ad_len,
              const std::uint8_t key[32], const std::uint8_t nonce[12]) noexcept {
    keystream_head head(b, key, nonce, len);
    std::uint8_t expect[16];
    b.poly1305_aead(expect, head.ks, ad, ad_len, in, len);
    bool ok = constant_time_equal(std::span<const std::uint8_t>(expect, 16),
                                  std::span<const std::uint8_t>(tag, 16));
    secure_wipe(expect, sizeof expect);
    if (!ok) return false;
    head.apply(b, in, out, len);
    return true;
}

// ---- batches of small packets ----
//
// A packet of up to k_small_blocks data blocks needs fewer keystream blocks than one vector pass
// computes, so on paths with a lane-parallel kernel, small packets of a batch are gathered into
// groups and their blocks (each packet's Poly1305 key block and its data blocks, every one with
// its own nonce) share passes: sixteen 64-byte packets cost two 16-lane passes instead of sixteen
// 8-lane ones. Open runs the key blocks first, verifies every tag, and only then decrypts the
// packets that verified. Larger packets already fill the vectors and take the one-packet path.
constexpr std::size_t k_group_packets = 16;
constexpr std::size_t k_small_blocks = 7;

class small_groups {
  public:
    small_groups(const backend& b, const std::uint8_t key[32]) noexcept : b_(b) {
        detail::chacha_init(st_, key, k_zero_nonce, 0);
    }
    ~small_groups() {
        secure_wipe(keys_, sizeof keys_);
        secure_wipe(&st_, sizeof st_);
    }
    small_groups(const small_groups&) = delete;
    small_groups& operator=(const small_groups&) = delete;

    bool takes(const aead_packet& p) const noexcept {
        return b_.chacha20_jobs != nullptr && p.len <= k_small_blocks * 64;
    }

    void add_seal(aead_packet& p) noexcept {
        group_[n_++] = &p;
        if (n_ == k_group_packets) flush_seal();
    }
    void add_open(aead_packet& p) noexcept {
        group_[n_++] = &p;
        if (n_ == k_group_packets) flush_open();
    }

    void flush_seal() noexcept {
        if (n_ == 0) return;
        std::size_t nj = 0;
        for (std::size_t i = 0; i < n_; ++i) {
            key_job(i, nj);
            data_jobs(i, nj);
        }
        b_.chacha20_jobs(st_, jobs_, nj);
        for (std::size_t i = 0; i < n_; ++i) {
            aead_packet& p = *group_[i];
            b_.poly1305_aead(p.data + p.len, keys_[i], p.ad.data(), p.ad.size(), p.data, p.len);
        }
        n_ = 0;
    }

    void flush_open() noexcept {
        if (n_ == 0) return;
        std::size_t nj = 0;
        for (std::size_t i = 0; i < n_; ++i)
            key_job(i, nj);
        b_.chacha20_jobs(st_, jobs_, nj);
        nj = 0;
        for (std::size_t i = 0; i < n_; ++i) {
            aead_packet& p = *group_[i];
            std::uint8_t expect[16];
            b_.poly1305_aead(expect, keys_[i], p.ad.data(), p.ad.size(), p.data, p.len);
            p.ok = constant_time_equal(std::span<const std::uint8_t>(expect, 16),
                                       std::span<const std::uint8_t>(p.data + p.len, 16));
            if (p.ok) data_jobs(i, nj);
        }
        if (nj > 0) b_.chacha20_jobs(st_, jobs_, nj);
        n_ = 0;
    }

  private:
    static constexpr std::uint8_t k_zero_nonce[12] = {};

    void set_nonce(detail::chacha_job& j, std::uint64_t counter) const noexcept {
        j.nonce[0] = 0;
        j.nonce[1] = std::uint32_t(counter);
        j.nonce[2] = std::uint32_t(counter >> 32);
    }
    void key_job(std::size_t i, std::size_t& nj) noexcept {
        detail::chacha_job& j = jobs_[nj++];
        j.counter = 0;
        set_nonce(j, group_[i]->counter);
        j.in = nullptr;
        j.out = keys_[i];
        j.len = 64;
    }
    void data_jobs(std::size_t i, std::size_t& nj) noexcept {
        aead_packet& p = *group_[i];
        for (std::size_t off = 0, block = 1; off < p.len; off += 64, ++block) {
            detail::chacha_job& j = jobs_[nj++];
            j.counter = std::uint32_t(block);
            set_nonce(j, p.counter);
            j.in = p.data + off;
            j.out = p.data + off;
            j.len = std::uint32_t(p.len - off < 64 ? p.len - off : 64);
        }
    }

    const backend& b_;
    chacha_state st_;
    std::size_t n_ = 0;
    aead_packet* group_[k_group_packets];
    alignas(64) std::uint8_t keys_[k_group_packets][64];
    detail::chacha_job jobs_[k_group_packets * (1 + k_small_blocks)];
};

}  // namespace

std::array<std::uint8_t, 12> wg_nonce(std::uint64_t counter) noexcept {
    std::array<std::uint8_t, 12> n{};
    detail::store64_le(n.data() + 4, counter);
    return n;
}

void aead_seal(std::span<std::uint8_t> out, std::span<const std::uint8_t> plain,
               std::span<const std::uint8_t> ad, std::span<const std::uint8_t, 32> key,
               std::span<const std::uint8_t, 12> nonce) noexcept {
    EDGE_CRYPTO_EXPECTS(out.size() == plain.size() + aead_tag_size);
    seal_raw(detail::active_backend(), out.data(), out.data() + plain.size(), plain.data(),
             plain.size(), ad.data(), ad.size(), key.data(), nonce.data());
}

bool aead_open(std::span<std::uint8_t> out, std::span<const std::uint8_t> sealed,
               std::span<const std::uint8_t> ad, std::span<const std::uint8_t, 32> key,
               std::span<const std::uint8_t, 12> nonce) noexcept {
    if (sealed.size() < aead_tag_size) return false;
    std::size_t len = sealed.size() - aead_tag_size;
    EDGE_CRYPTO_EXPECTS(out.size() == len);
    return open_raw(detail::active_backend(), out.data(), sealed.data(), len, sealed.data() + len,
                    ad.data(), ad.size(), key.data(), nonce.data());
}

void aead_seal_in_place(std::span<std::uint8_t> buf, std::span<const std::uint8_t> ad,
                        std::span<const std::uint8_t, 32> key,
                        std::span<const std::uint8_t, 12> nonce) noexcept {
    EDGE_CRYPTO_EXPECTS(buf.size() >= aead_tag_size);
    std::size_t len = buf.size() - aead_tag_size;
    seal_raw(detail::active_backend(), buf.data(), buf.data() + len, buf.data(), len, ad.data(),
             ad.size(), key.data(), nonce.data());
}

bool aead_open_in_place(std::span<std::uint8_t> buf, std::span<const std::uint8_t> ad,
                        std::span<const std::uint8_t, 32> key,
                        std::span<const std::uint8_t, 12> nonce) noexcept {
    if (buf.size() < aead_tag_size) return false;
    std::size_t len = buf.size() - aead_tag_size;
    return open_raw(detail::active_backend(), buf.data(), buf.data(), len, buf.data() + len,
                    ad.data(), ad.size(), key.data(), nonce.data());
}

void aead_seal_batch(std::span<aead_packet> packets,
                     std::span<const std::uint8_t, 32> key) noexcept {
    const backend& b = detail::active_backend();
    small_groups groups(b, key.data());
    for (aead_packet& p : packets) {
        if (groups.takes(p)) {
            groups.add_seal(p);
            continue;
        }
        auto nonce = wg_nonce(p.counter);
        seal_raw(b, p.data, p.data + p.len, p.data, p.len, p.ad.data(), p.ad.size(), key.data(),
                 nonce.data());
    }
    groups.flush_seal();
}

std::size_t aead_open_batch(std::span<aead_packet> packets,
                            std::span<const std::uint8_t, 32> key) noexcept {
    const backend& b = detail::active_backend();
    small_groups groups(b, key.data());
    for (aead_packet& p : packets) {
        if (groups.takes(p)) {
            groups.add_open(p);
            continue;
        }
        auto nonce = wg_nonce(p.counter);
        p.ok = open_raw(b, p.data, p.data, p.len, p.data + p.len, p.ad.data(), p.ad.size(),
                        key.data(), nonce.data());
    }
    groups.flush_open();
    std::size_t good = 0;
    for (const aead_packet& p : packets)
        good += p.ok ? 1 : 0;
    return good;
}

}  // namespace edge::wg::crypto
