// wg/'s handshake, cookie and transport code against WireGuard's known-answer exchange
// ($EDGE_SHARED_DIR/data/wg/wg-kat.json, accepted verbatim by wireguard-go): with the file's
// keys, ephemerals, indices and timestamp, the initiation and response come out byte for byte,
// each side derives the file's transport keys, and the data message and keepalive match and open.
// Exits 77 (skip) when the data file is absent.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "tests/wg/crypto/test_support.hpp"
#include "tests/wg/kat_data.hpp"
#include "wg/cookie.hpp"
#include "wg/handshake.hpp"
#include "wg/transport.hpp"

using namespace edge;
using namespace edge::wg;
using edge::wg::crypto::test::hex;
using edge::wg::crypto::test::to_hex;
using bytes = std::vector<std::uint8_t>;

namespace {

edge::wg::test::kat_data g_kat;

bytes field(const std::string& name) {
    INFO("field " << name);
    REQUIRE(g_kat.fields.count(name) == 1);
    return hex(g_kat.fields[name]);
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed(const std::string& name) {
    bytes b = field(name);
    REQUIRE(b.size() == N);
    std::array<std::uint8_t, N> a{};
    std::copy(b.begin(), b.end(), a.begin());
    return a;
}

std::uint32_t index_field(const std::string& name) {
    return std::uint32_t(std::stoul(g_kat.fields[name], nullptr, 16));
}

}  // namespace

TEST_CASE("the handshake reproduces WireGuard's known-answer exchange byte for byte", "[wg-kat]") {
    const auto initiator = local_identity::from_private(fixed<32>("initiator_static_private"));
    const auto responder = local_identity::from_private(fixed<32>("responder_static_private"));
    CHECK(to_hex(initiator.public_key) == to_hex(field("initiator_static_public")));
    CHECK(to_hex(responder.mac1_key) == to_hex(field("mac1_key_for_responder")));
    CHECK(to_hex(responder.cookie_key) == to_hex(field("cookie_key_for_responder")));
    const key psk = fixed<32>("preshared_key");
    const auto i_sees_r = remote_identity::make(initiator, responder.public_key, psk);
    const auto r_sees_i = remote_identity::make(responder, initiator.public_key, psk);
    const std::uint32_t i_index = index_field("initiator_sender_index");
    const std::uint32_t r_index = index_field("responder_sender_index");

    // Initiator: the 148-byte initiation, mac1 stamped by the cookie layer (no cookie: mac2 0).
    handshake_state i_state;
    initiation_message init;
    REQUIRE(create_initiation(i_state, initiator, i_sees_r,
                              fixed<32>("initiator_ephemeral_private"),
                              fixed<12>("timestamp_tai64n"), i_index, init)
                .has_value());
    std::array<std::uint8_t, initiation_size> init_bytes{};
    format(init, init_bytes);
    cookie_generator to_responder(i_sees_r.mac1_key, i_sees_r.cookie_key);
    to_responder.stamp(init_bytes, time_ns{0});
    CHECK(to_hex(init_bytes) == to_hex(field("initiation_148")));

    // Responder: mac1 checks, the static key and timestamp decrypt, the response matches.
    cookie_checker checker(responder.mac1_key, responder.cookie_key);
    CHECK(checker.is_mac1_valid(init_bytes));
    auto parsed = parse_initiation(init_bytes);
    REQUIRE(parsed.has_value());
    handshake_state r_state;
    auto who = consume_initiation_static(r_state, responder, *parsed);
    REQUIRE(who.has_value());
    CHECK(*who == initiator.public_key);
    auto ts = consume_initiation_timestamp(r_state, r_sees_i, *parsed);
    REQUIRE(ts.has_value());
    CHECK(to_hex(*ts) == to_hex(field("timestamp_tai64n")));
    response_message resp;
    transport_keys r_keys;
    REQUIRE(create_response(r_state, r_sees_i, fixed<32>("responder_ephemeral_private"), r_index,
                            resp, r_keys)
                .has_value());
    std::array<std::uint8_t, response_size> resp_bytes{};
    format(resp, resp_bytes);
    cookie_generator to_initiator(r_sees_i.mac1_key, r_sees_i.cookie_key);
    to_initiator.stamp(resp_bytes, time_ns{0});
    CHECK(to_hex(resp_bytes) == to_hex(field("response_92")));

    // Initiator: the response completes the handshake with the file's transport keys.
    transport_keys i_keys;
    REQUIRE(consume_response(i_state, initiator, i_sees_r, *parse_response(resp_bytes), i_keys)
                .has_value());
    CHECK(to_hex(i_keys.send) == to_hex(field("initiator_send_key")));
    CHECK(to_hex(i_keys.receive) == to_hex(field("initiator_recv_key")));
    CHECK(r_keys.send == i_keys.receive);
    CHECK(r_keys.receive == i_keys.send);

    // Transport: the data message and the keepalive, and each opens on the other side.
    keypair i_kp(i_keys, 0, time_ns{0}, {});
    keypair r_kp(r_keys, 0, time_ns{0}, {});
    const bytes inner = field("data_inner_packet_28");
    bytes buf(outbound_headroom + inner.size() + outbound_tailroom);
    std::copy(inner.begin(), inner.end(), buf.begin() + outbound_headroom);
    outbound_packet op{buf, inner.size()};
    counters c;
    encapsulate(i_kp, std::span(&op, 1), 1420, time_ns{0}, c);
    REQUIRE(op.err == error::none);
    CHECK(to_hex(buf.data(), op.datagram_len) ==
          to_hex(field("data_initiator_to_responder_counter0")));
    bytes ka(keepalive_size);
    outbound_packet kop{ka, 0};
    encapsulate(r_kp, std::span(&kop, 1), 1420, time_ns{0}, c);
    CHECK(to_hex(ka) == to_hex(field("keepalive_responder_to_initiator_counter0")));

    bytes rx = field("data_initiator_to_responder_counter0");
    inbound_packet in{rx};
    decapsulate(r_kp, std::span(&in, 1), nullptr, time_ns{0}, c);
    REQUIRE(in.err == error::none);
    CHECK(to_hex(in.plain) == to_hex(inner));  // padding cut by the IPv4 length
}

int main(int argc, char** argv) {
    if (!g_kat.load()) {
        std::printf("SKIP: %s not found (shared WireGuard test data)\n", g_kat.path.c_str());
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
