// libFuzzer harness for everything in wg/ that parses a received datagram (clang only; see
// meson.build):
//   build-clang/tests/fuzz/wg_datagram_fuzz -max_total_time=60 CORPUS
// Each input runs against a fresh pair of tunnels with an established session (deterministic
// keys, so inputs reproduce). The first byte picks what the rest is:
//   0: a datagram from the peer's address to tunnel::receive (all four message types, garbage);
//   1: a plaintext the peer seals with its real keypair, so that the inner-packet checks and the
//      allowed-IPs source check see arbitrary decrypted bytes;
//   2: a batch of datagrams (split at each 0xff byte) to transport's decapsulate.
// Contract checked: no crash or out-of-bounds access (ASan), a rejection always names a reason
// and is counted, a to_tun packet lies inside the datagram.
// With FUZZ_CORPUS_DIR set (tests/fuzz/run_fuzz.sh), the harness writes a seed corpus there
// first: a real initiation, response, cookie reply, data message and keepalive of this pair.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "wg/tunnel.hpp"

using namespace edge;
using namespace edge::wg;
using bytes = std::vector<std::uint8_t>;

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

key filled(std::uint8_t v) {
    key k{};
    k.fill(v);
    return k;
}

const socket_address k_addr_a = *parse_socket_address("192.0.2.1:51820");
const socket_address k_addr_b = *parse_socket_address("192.0.2.2:51820");

struct pair_of_tunnels {
    std::unique_ptr<tunnel> a, b;
    peer_id a_b = no_peer, b_a = no_peer;
    bytes buf = bytes(4096);
    std::vector<bytes> seen;  // every datagram exchanged while setting up (the seeds)

    /// With `load_after` 0 the responder is under load from the first message and answers with
    /// a cookie reply: no session is set up then.
    explicit pair_of_tunnels(std::uint32_t load_after = 1000) {
        tunnel_options oa, ob;
        oa.private_key = filled(0x11);
        ob.private_key = filled(0x22);
        oa.random_seed = filled(1);
        ob.random_seed = filled(2);
        ob.handshakes_per_second_before_load = load_after;
        a = std::make_unique<tunnel>(oa);
        b = std::make_unique<tunnel>(ob);
        peer_config to_b{b->identity().public_key,
                         std::nullopt,
                         k_addr_b,
                         {*ip_prefix::parse("0.0.0.0/0"), *ip_prefix::parse("::/0")},
                         0};
        peer_config to_a{a->identity().public_key,
                         std::nullopt,
                         k_addr_a,
                         {*ip_prefix::parse("10.9.0.1/32"), *ip_prefix::parse("fd00::1/128")},
                         0};
        a_b = *a->add_peer(to_b);
        b_a = *b->add_peer(to_a);
        if (load_after == 0) return;
        const time_ns now{1'000'000'000};
        packet_result init = a->initiate(a_b, now, buf);
        bytes i(init.packet.begin(), init.packet.end());
        seen.push_back(i);
        packet_result resp = b->receive(i, k_addr_a, now, buf);
        bytes r(resp.packet.begin(), resp.packet.end());
        seen.push_back(r);
        packet_result keepalive = a->receive(r, k_addr_b, now, buf);
        bytes k(keepalive.packet.begin(), keepalive.packet.end());
        seen.push_back(k);
        require(b->receive(k, k_addr_a, now, buf).what == action::none);
        require(b->sessions_of(b_a).current != nullptr);
    }
};

void write_seeds(const char* dir) {
    pair_of_tunnels p;
    bytes packet = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2};
    packet.resize(28);
    packet_result d = p.a->send(packet, time_ns{1'000'000'000}, p.buf);
    p.seen.emplace_back(d.packet.begin(), d.packet.end());
    pair_of_tunnels loaded(0);  // under load: a cookie reply
    packet_result init = loaded.a->initiate(loaded.a_b, time_ns{2'000'000'000}, loaded.buf);
    bytes i(init.packet.begin(), init.packet.end());
    packet_result cookie = loaded.b->receive(i, k_addr_a, time_ns{2'000'000'000}, loaded.buf);
    p.seen.emplace_back(cookie.packet.begin(), cookie.packet.end());
    int n = 0;
    for (auto& s : p.seen) {
        s.insert(s.begin(), 0);  // mode 0: a datagram
        std::ofstream(std::string(dir) + "/seed" + std::to_string(n++), std::ios::binary)
            .write(reinterpret_cast<const char*>(s.data()), std::streamsize(s.size()));
    }
    std::ofstream(std::string(dir) + "/seed_plain", std::ios::binary)
        .write("\x01\x45\0\0\x1c\0\0\0\0\x40\x11\0\0\x0a\x09\0\x01\x0a\x09\0\x02", 21);
}

void check(const packet_result& r, std::span<const std::uint8_t> datagram) {
    if (r.what == action::error) require(r.err != error::none);
    if (r.what == action::to_tun)
        require(r.packet.data() >= datagram.data() &&
                r.packet.data() + r.packet.size() <= datagram.data() + datagram.size());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* dir = std::getenv("FUZZ_CORPUS_DIR")) write_seeds(dir);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    pair_of_tunnels p;
    const time_ns now{1'000'000'000};
    const std::uint8_t mode = data[0] % 3;
    // A private copy of exactly the datagram's bytes, so ASan sees any read past its end.
    bytes in(data + 1, data + size);
    if (mode == 0) {
        packet_result r = p.b->receive(in, k_addr_a, now, p.buf);
        check(r, in);
    } else if (mode == 1) {
        if (in.size() > p.a->mtu()) return 0;
        auto kp = p.a->sessions_of(p.a_b).current;
        bytes buf(outbound_headroom + in.size() + outbound_tailroom);
        std::copy(in.begin(), in.end(), buf.begin() + outbound_headroom);
        outbound_packet op{buf, in.size()};
        counters c;
        encapsulate(*kp, std::span(&op, 1), p.a->mtu(), now, c);
        require(op.err == error::none);
        bytes datagram(buf.begin(), buf.begin() + long(op.datagram_len));
        packet_result r = p.b->receive(datagram, k_addr_a, now, p.buf);
        check(r, datagram);
        require(r.what != action::error || r.err == error::bad_inner_packet ||
                r.err == error::disallowed_source);
    } else {
        std::vector<bytes> parts(1);
        for (std::uint8_t byte : in) {
            if (byte == 0xff && parts.size() < 64)
                parts.emplace_back();
            else
                parts.back().push_back(byte);
        }
        std::vector<inbound_packet> batch(parts.size());
        for (std::size_t i = 0; i < parts.size(); ++i)
            batch[i].datagram = parts[i];
        counters c;
        auto kp = p.b->sessions_of(p.b_a).current;
        auto table = p.b->routing_table();
        batch_outcome o = decapsulate(*kp, batch, table.get(), now, c);
        require(o.done <= batch.size());
        for (const auto& b : batch)
            if (b.err != error::none) require(c.get(b.err) > 0);
    }
    return 0;
}
