// BLAKE2s against RFC 7693 (Appendix B "abc", and the Appendix E self-test, whose grand hash
// covers digest lengths 16, 20, 28, 32, keyed and unkeyed, inputs 0..1024 bytes), and entries of
// the BLAKE2 reference's keyed known-answer table (key 00..1f, input 00 01 02 ... of each
// length; lengths chosen around the 64-byte block boundary). Also incremental updates in every
// split against the one-shot form.

#include "wg/crypto/blake2s.hpp"

#include <array>

#include "tests/wg/crypto/test_support.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;

namespace {

std::string b2s(const bytes& in, const bytes& key = {}, std::size_t outlen = 32) {
    bytes out(outlen);
    blake2s_hash(out, in, key);
    return to_hex(out);
}

bytes counting(std::size_t n) {
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i)
        b[i] = std::uint8_t(i);
    return b;
}

// RFC 7693 Appendix E: deterministic input (a Fibonacci generator).
bytes selftest_seq(std::size_t len, std::uint32_t seed) {
    bytes out(len);
    std::uint32_t a = 0xDEAD4BAD * seed, b = 1;
    for (std::size_t i = 0; i < len; ++i) {
        std::uint32_t t = a + b;
        a = b;
        b = t;
        out[i] = std::uint8_t(t >> 24);
    }
    return out;
}

}  // namespace

TEST_CASE("BLAKE2s: RFC 7693 Appendix B and the empty input", "[blake2s]") {
    CHECK(b2s(ascii("abc")) == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
    CHECK(b2s({}) == "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
}

TEST_CASE("BLAKE2s: RFC 7693 Appendix E self-test over digest lengths", "[blake2s]") {
    blake2s grand(32);
    for (std::size_t outlen : {16, 20, 28, 32}) {
        for (std::size_t inlen : {0, 3, 64, 65, 255, 1024}) {
            bytes in = selftest_seq(inlen, std::uint32_t(inlen));
            bytes md(outlen);
            blake2s_hash(md, in);
            grand.update(md);
            bytes key = selftest_seq(outlen, std::uint32_t(outlen));
            blake2s_hash(md, in, key);
            grand.update(md);
        }
    }
    std::array<std::uint8_t, 32> out{};
    grand.finish(out);
    CHECK(to_hex(out) == "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
}

TEST_CASE("BLAKE2s: keyed known answers from the BLAKE2 reference", "[blake2s]") {
    const bytes key = counting(32);
    struct {
        std::size_t len;
        const char* hash;
    } const kat[] = {
        {0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"},
        {1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"},
        {2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"},
        {3, "1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b"},
        {4, "f6c3fbadb4cc687a0064a5be6e791bec63b868ad62fba61b3757ef9ca52e05b2"},
        {5, "49c1f21188dfd769aea0e911dd6b41f14dab109d2b85977aa3088b5c707e8598"},
        {6, "fdd8993dcd43f696d44f3cea0ff35345234ec8ee083eb3cada017c7f78c17143"},
        {7, "e6c8125637438d0905b749f46560ac89fd471cf8692e28fab982f73f019b83a9"},
        {8, "19fc8ca6979d60e6edd3b4541e2f967ced740df6ec1eaebbfe813832e96b2974"},
        {9, "a6ad777ce881b52bb5a4421ab6cdd2dfba13e963652d4d6d122aee46548c14a7"},
        {10, "f5c4b2ba1a00781b13aba0425242c69cb1552f3f71a9a3bb22b4a6b4277b46dd"},
        {11, "e33c4c9bd0cc7e45c80e65c77fa5997fec7002738541509e68a9423891e822a3"},
        {12, "fba16169b2c3ee105be6e1e650e5cbf40746b6753d036ab55179014ad7ef6651"},
        {13, "f5c4bec6d62fc608bf41cc115f16d61c7efd3ff6c65692bbe0afffb1fede7475"},
        {14, "a4862e76db847f05ba17ede5da4e7f91b5925cf1ad4ba12732c3995742a5cd6e"},
        {15, "65f4b860cd15b38ef814a1a804314a55be953caa65fd758ad989ff34a41c1eea"},
        {16, "19ba234f0a4f38637d1839f9d9f76ad91c8522307143c97d5f93f69274cec9a7"},
        {32, "c03bc642b20959cbe133a0303e0c1abff3e31ec8e1a328ec8565c36decff5265"},
        {33, "2c3e08176f760c6264c3a2cd66fec6c3d78de43fc192457b2a4a660a1e0eb22b"},
        {61, "cbd6660a10db3f23f7a03d4b9d4044c7932b2801ac89d60bc9eb92d65a46c2a0"},
        {62, "8818bbd3db4dc123b25cbba5f54c2bc4b3fcf9bf7d7a7709f4ae588b267c4ece"},
        {63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd"},
        {64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4"},
        {65, "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8"},
        {66, "2ef73f3c26f12d93889f3c78b6a66c1d52b649dc9e856e2c172ea7c58ac2b5e3"},
        {67, "388a3cd56d73867abb5f8401492b6e2681eb69851e767fd84210a56076fb3dd3"},
        {68, "af533e022fc9439e4e3cb838ecd18692232adf6fe9839526d3c3dd1b71910b1a"},
        {128, "0c311f38c35a4fb90d651c289d486856cd1413df9b0677f53ece2cd9e477c60a"},
        {192, "5950d39a23e1545f301270aa1a12f2e6c453776e4d6355de425cc153f9818867"},
        {255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"},
    };
    for (const auto& v : kat) {
        INFO("input length " << v.len);
        CHECK(b2s(counting(v.len), key) == v.hash);
    }
}

TEST_CASE("BLAKE2s: incremental updates in any split equal one shot", "[blake2s]") {
    byte_source src(5);
    bytes in = src.take(300);
    bytes key = src.take(17);
    for (std::size_t outlen : {1, 16, 31, 32}) {
        std::string expect = b2s(in, key, outlen);
        for (std::size_t a = 0; a <= in.size(); a += 7) {
            for (std::size_t b = a; b <= in.size(); b += 29) {
                blake2s h(outlen, key);
                h.update(std::span(in).subspan(0, a));
                h.update(std::span(in).subspan(a, b - a));
                h.update(std::span(in).subspan(b));
                bytes out(outlen);
                h.finish(out);
                if (to_hex(out) != expect) FAIL("split " << a << "/" << b << " outlen " << outlen);
            }
        }
    }
}

TEST_CASE("BLAKE2s-128 is not a truncated BLAKE2s-256", "[blake2s]") {
    bytes key = counting(32);
    CHECK(b2s(ascii("abc"), key, 16) != b2s(ascii("abc"), key, 32).substr(0, 32));
}
