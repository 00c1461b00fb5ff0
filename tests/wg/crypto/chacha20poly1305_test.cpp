// ChaCha20-Poly1305 against RFC 8439 §2.8.2 (seal) and A.5 (open), on every path; the
// in-place and batch forms against the copying form; tampering with any single byte of
// ciphertext, tag or associated data must make open fail and leave the buffer untouched.

#include "wg/crypto/chacha20poly1305.hpp"

#include <array>

#include "tests/wg/crypto/test_support.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;

namespace {

template <std::size_t N>
std::array<std::uint8_t, N> arr(const bytes& b) {
    std::array<std::uint8_t, N> a{};
    REQUIRE(b.size() == N);
    std::copy(b.begin(), b.end(), a.begin());
    return a;
}

}  // namespace

TEST_CASE("AEAD seal: RFC 8439 2.8.2", "[aead]") {
    bytes plain = ascii(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
        "future, sunscreen would be it.");
    bytes ad = hex("50515253c0c1c2c3c4c5c6c7");
    auto key = arr<32>(hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"));
    auto nonce = arr<12>(hex("070000004041424344454647"));
    const std::string expect =
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        "3ff4def08e4b7a9de576d26586cec64b6116"
        "1ae10b594f09e26a7e902ecbd0600691";
    for_each_impl([&](impl) {
        bytes out(plain.size() + 16);
        aead_seal(out, plain, ad, key, nonce);
        CHECK(to_hex(out) == expect);
        bytes buf = plain;
        buf.resize(plain.size() + 16);
        aead_seal_in_place(buf, ad, key, nonce);
        CHECK(to_hex(buf) == expect);
    });
}

TEST_CASE("AEAD open: RFC 8439 A.5", "[aead]") {
    auto key = arr<32>(hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0"));
    auto nonce = arr<12>(hex("000000000102030405060708"));
    bytes ad = hex("f33388860000000000004e91");
    bytes sealed =
        hex("64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
            "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
            "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
            "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
            "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
            "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
            "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
            "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
            "a6ad5cb4022b02709b"
            "eead9d67890cbb22392336fea1851f38");
    const std::string expect =
        "Internet-Drafts are draft documents valid for a maximum of six months and may be "
        "updated, replaced, or obsoleted by other documents at any time. It is inappropriate to "
        "use Internet-Drafts as reference material or to cite them other than as "
        "/\xe2\x80\x9cwork in progress./\xe2\x80\x9d";
    for_each_impl([&](impl) {
        bytes out(sealed.size() - 16);
        REQUIRE(aead_open(out, sealed, ad, key, nonce));
        CHECK(std::string(out.begin(), out.end()) == expect);
        bytes buf = sealed;
        REQUIRE(aead_open_in_place(buf, ad, key, nonce));
        CHECK(std::string(buf.begin(), buf.end() - 16) == expect);
    });
}

TEST_CASE("AEAD: tampering with any byte of ciphertext, tag or AD fails open", "[aead]") {
    byte_source src(3);
    auto key = arr<32>(src.take(32));
    auto nonce = wg_nonce(0x0102030405060708ull);
    bytes ad = src.take(13);
    for_each_impl([&](impl) {
        for (std::size_t len : {0, 1, 63, 64, 65, 300, 1420}) {
            bytes plain = src.take(len);
            bytes sealed(len + 16);
            aead_seal(sealed, plain, ad, key, nonce);
            bytes out(len);
            REQUIRE(aead_open(out, sealed, ad, key, nonce));
            REQUIRE(out == plain);
            for (std::size_t i = 0; i < sealed.size(); ++i) {
                bytes bad = sealed;
                bad[i] ^= std::uint8_t(1u << (i % 8));
                bytes before = bad;
                if (aead_open_in_place(bad, ad, key, nonce)) FAIL("forged byte " << i);
                if (bad != before) FAIL("buffer changed after failed open, byte " << i);
            }
            for (std::size_t i = 0; i < ad.size(); ++i) {
                bytes bad_ad = ad;
                bad_ad[i] ^= 0x40;
                if (aead_open(out, sealed, bad_ad, key, nonce)) FAIL("forged ad byte " << i);
            }
            bytes longer_ad = ad;
            longer_ad.push_back(0);
            CHECK_FALSE(aead_open(out, sealed, longer_ad, key, nonce));
            CHECK_FALSE(aead_open(out, sealed, ad, key, wg_nonce(0x0102030405060709ull)));
        }
        bytes too_short(15);
        CHECK_FALSE(aead_open_in_place(too_short, {}, key, nonce));
    });
}

TEST_CASE("AEAD batch forms equal one packet at a time", "[aead]") {
    byte_source src(4);
    auto key = arr<32>(src.take(32));
    const std::size_t lens[] = {1420, 0, 1, 64, 1419, 1420, 16, 1280, 9000, 31, 1420, 700};
    for_each_impl([&](impl) {
        std::vector<bytes> bufs, expect;
        std::vector<aead_packet> packets;
        std::uint64_t counter = 1000;
        for (std::size_t len : lens) {
            bytes plain = src.take(len);
            bytes one(len + 16);
            aead_seal(one, plain, {}, key, wg_nonce(counter));
            expect.push_back(one);
            plain.resize(len + 16);
            bufs.push_back(plain);
            ++counter;
        }
        counter = 1000;
        for (std::size_t i = 0; i < bufs.size(); ++i)
            packets.push_back({bufs[i].data(), lens[i], counter++, {}, false});
        aead_seal_batch(packets, key);
        for (std::size_t i = 0; i < bufs.size(); ++i)
            CHECK(bufs[i] == expect[i]);
        bufs[3][5] ^= 1;  // forge one packet
        CHECK(aead_open_batch(packets, key) == bufs.size() - 1);
        for (std::size_t i = 0; i < packets.size(); ++i)
            CHECK(packets[i].ok == (i != 3));
        CHECK(bufs[3] != expect[3]);
        bufs[3][5] ^= 1;
        CHECK(bufs[3] == expect[3]);  // the failed packet was left as it was
    });
}

TEST_CASE("wg_nonce is 4 zero bytes and a little-endian counter", "[aead]") {
    CHECK(to_hex(wg_nonce(0x0102030405060708ull)) == "000000000807060504030201");
}

TEST_CASE("AEAD batches of many small packets (grouped lanes) equal one packet at a time",
          "[aead]") {
    byte_source src(8);
    auto key = arr<32>(src.take(32));
    for_each_impl([&](impl) {
        std::vector<std::size_t> lens;
        for (int i = 0; i < 45; ++i)
            lens.push_back(i % 9 == 4 ? 500 + src.below(2000) : src.below(449));
        lens[0] = 448;  // the largest grouped size
        lens[1] = 449;  // the smallest that is not grouped
        std::vector<bytes> bufs, expect;
        for (std::size_t i = 0; i < lens.size(); ++i) {
            bytes plain = src.take(lens[i]);
            bytes one(lens[i] + 16);
            aead_seal(one, plain, {}, key, wg_nonce(0xffffffffull + i));
            expect.push_back(one);
            plain.resize(lens[i] + 16);
            bufs.push_back(plain);
        }
        std::vector<aead_packet> packets;
        for (std::size_t i = 0; i < bufs.size(); ++i)
            packets.push_back({bufs[i].data(), lens[i], 0xffffffffull + i, {}, false});
        aead_seal_batch(packets, key);
        for (std::size_t i = 0; i < bufs.size(); ++i)
            if (bufs[i] != expect[i]) FAIL("packet " << i << " length " << lens[i]);
        // Forge a grouped packet's tag and a large packet's ciphertext.
        bufs[17][lens[17]] ^= 0x01;
        bufs[4][3] ^= 0x80;
        CHECK(aead_open_batch(packets, key) == bufs.size() - 2);
        for (std::size_t i = 0; i < packets.size(); ++i) {
            INFO("packet " << i);
            CHECK(packets[i].ok == (i != 17 && i != 4));
            if (packets[i].ok) {
                bytes plain(expect[i].size() - 16);
                REQUIRE(aead_open(plain, expect[i], {}, key, wg_nonce(0xffffffffull + i)));
                CHECK(bytes(bufs[i].begin(), bufs[i].end() - 16) == plain);
            }
        }
        bufs[17][lens[17]] ^= 0x01;
        bufs[4][3] ^= 0x80;
        CHECK(bufs[17] == expect[17]);  // failed packets were left as they were
        CHECK(bufs[4] == expect[4]);
    });
}
