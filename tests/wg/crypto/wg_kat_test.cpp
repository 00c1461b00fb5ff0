// WireGuard's known-answer handshake ($EDGE_SHARED_DIR/data/wg/wg-kat.json, see its README),
// rebuilt here from the primitives alone: public keys from private keys, the initial chaining key
// and hash, the mac1 and cookie keys, then every step of the Noise IKpsk2 initiation and response
// (whitepaper §5.4.2-5.4.4: DH, KDF1/2/3, AEAD under the running hash, mac1 as keyed
// BLAKE2s-128), the transport keys and one data and one keepalive message, each compared byte
// for byte. This proves the primitives compose exactly as the protocol needs; the protocol itself
// belongs to wg/. Exits 77 (skip) when the data file is absent.

#define CATCH_CONFIG_RUNNER
#include <array>
#include <cstdio>
#include <map>

#include "tests/wg/crypto/test_support.hpp"
#include "tests/wg/kat_data.hpp"
#include "wg/crypto/blake2s.hpp"
#include "wg/crypto/chacha20poly1305.hpp"
#include "wg/crypto/hkdf.hpp"
#include "wg/crypto/x25519.hpp"

using namespace edge::wg::crypto;
using namespace edge::wg::crypto::test;
using edge::wg::test::kat_data;

namespace {

using key32 = std::array<std::uint8_t, 32>;

kat_data g_kat_file;
std::map<std::string, std::string>& g_kat = g_kat_file.fields;

bytes field(const std::string& name) {
    INFO("field " << name);
    REQUIRE(g_kat.count(name) == 1);
    return hex(g_kat[name]);
}

key32 k32(const bytes& b) {
    key32 k{};
    REQUIRE(b.size() == 32);
    std::copy(b.begin(), b.end(), k.begin());
    return k;
}

key32 hash(std::initializer_list<bytes> parts) {
    blake2s h;
    for (const auto& p : parts)
        h.update(p);
    key32 out{};
    h.finish(out);
    return out;
}

bytes b(const key32& k) {
    return bytes(k.begin(), k.end());
}

key32 dh(const key32& priv, const key32& pub) {
    key32 out{};
    REQUIRE(x25519(out, priv, pub));
    return out;
}

bytes seal(const key32& key, std::uint64_t counter, const bytes& plain, const key32& ad) {
    bytes out(plain.size() + 16);
    aead_seal(out, plain, ad, key, wg_nonce(counter));
    return out;
}

bytes le32(std::uint32_t v) {
    return {std::uint8_t(v), std::uint8_t(v >> 8), std::uint8_t(v >> 16), std::uint8_t(v >> 24)};
}

void append(bytes& to, const bytes& what) {
    to.insert(to.end(), what.begin(), what.end());
}

bytes mac1(const key32& key, const bytes& msg) {
    bytes out(16);
    blake2s_hash(out, msg, key);
    return out;
}

}  // namespace

TEST_CASE("primitives reproduce WireGuard's known-answer handshake", "[wg-kat]") {
    const key32 si_priv = k32(field("initiator_static_private"));
    const key32 sr_priv = k32(field("responder_static_private"));
    const key32 ei_priv = k32(field("initiator_ephemeral_private"));
    const key32 er_priv = k32(field("responder_ephemeral_private"));
    const key32 psk = k32(field("preshared_key"));
    const std::uint32_t i_index =
        std::uint32_t(std::stoul(g_kat["initiator_sender_index"], nullptr, 16));
    const std::uint32_t r_index =
        std::uint32_t(std::stoul(g_kat["responder_sender_index"], nullptr, 16));

    for_each_impl([&](impl) {
        key32 si_pub{}, sr_pub{}, ei_pub{}, er_pub{};
        x25519_public_key(si_pub, si_priv);
        x25519_public_key(sr_pub, sr_priv);
        x25519_public_key(ei_pub, ei_priv);
        x25519_public_key(er_pub, er_priv);
        CHECK(b(si_pub) == field("initiator_static_public"));
        CHECK(b(sr_pub) == field("responder_static_public"));

        key32 c = hash({ascii("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")});
        key32 h = hash({b(c), ascii("WireGuard v1 zx2c4 Jason@zx2c4.com")});
        CHECK(b(c) == field("initial_chaining_key"));
        CHECK(b(h) == field("initial_hash"));
        const key32 mac1_key_r = hash({ascii("mac1----"), b(sr_pub)});
        CHECK(b(mac1_key_r) == field("mac1_key_for_responder"));
        CHECK(b(hash({ascii("cookie--"), b(sr_pub)})) == field("cookie_key_for_responder"));

        // ---- initiation (whitepaper 5.4.2) ----
        key32 k{};
        h = hash({b(h), b(sr_pub)});
        kdf1(c, c, ei_pub);
        h = hash({b(h), b(ei_pub)});
        kdf2(c, k, c, dh(ei_priv, sr_pub));
        bytes enc_static = seal(k, 0, b(si_pub), h);
        h = hash({b(h), enc_static});
        kdf2(c, k, c, dh(si_priv, sr_pub));
        bytes enc_time = seal(k, 0, field("timestamp_tai64n"), h);
        h = hash({b(h), enc_time});
        bytes init = {1, 0, 0, 0};
        append(init, le32(i_index));
        append(init, b(ei_pub));
        append(init, enc_static);
        append(init, enc_time);
        append(init, mac1(mac1_key_r, init));
        append(init, bytes(16, 0));
        CHECK(to_hex(init) == to_hex(field("initiation_148")));

        // ---- response (whitepaper 5.4.3) ----
        kdf1(c, c, er_pub);
        h = hash({b(h), b(er_pub)});
        kdf1(c, c, dh(er_priv, ei_pub));
        kdf1(c, c, dh(er_priv, si_pub));
        key32 tau{};
        kdf3(c, tau, k, c, psk);
        h = hash({b(h), b(tau)});
        bytes enc_empty = seal(k, 0, {}, h);
        h = hash({b(h), enc_empty});
        bytes resp = {2, 0, 0, 0};
        append(resp, le32(r_index));
        append(resp, le32(i_index));
        append(resp, b(er_pub));
        append(resp, enc_empty);
        append(resp, mac1(hash({ascii("mac1----"), b(si_pub)}), resp));
        append(resp, bytes(16, 0));
        CHECK(to_hex(resp) == to_hex(field("response_92")));
        CHECK(b(h) == field("final_handshake_hash"));

        // ---- transport keys and messages (whitepaper 5.4.5-5.4.6) ----
        key32 send_i{}, recv_i{};
        kdf2(send_i, recv_i, c, {});
        CHECK(b(send_i) == field("initiator_send_key"));
        CHECK(b(recv_i) == field("initiator_recv_key"));

        bytes inner = field("data_inner_packet_28");
        inner.resize((inner.size() + 15) / 16 * 16, 0);  // padded to 16 (5.4.6)
        bytes data = {4, 0, 0, 0};
        append(data, le32(r_index));
        append(data, bytes(8, 0));  // counter 0
        bytes enc(inner.size() + 16);
        aead_seal(enc, inner, {}, send_i, wg_nonce(0));
        append(data, enc);
        CHECK(to_hex(data) == to_hex(field("data_initiator_to_responder_counter0")));

        bytes keepalive = {4, 0, 0, 0};
        append(keepalive, le32(i_index));
        append(keepalive, bytes(8, 0));
        bytes tag(16);
        aead_seal(tag, {}, {}, recv_i, wg_nonce(0));
        append(keepalive, tag);
        CHECK(to_hex(keepalive) == to_hex(field("keepalive_responder_to_initiator_counter0")));

        // And the responder opens the data message in place.
        bytes rx(data.begin() + 16, data.end());
        REQUIRE(aead_open_in_place(rx, {}, send_i, wg_nonce(0)));
        CHECK(to_hex(rx.data(), 28) == to_hex(field("data_inner_packet_28")));
    });
}

int main(int argc, char** argv) {
    if (!g_kat_file.load()) {
        std::printf("SKIP: %s not found (shared WireGuard test data)\n", g_kat_file.path.c_str());
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
