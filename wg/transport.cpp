#include "wg/transport.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <new>

#include "wg/crypto/chacha20poly1305.hpp"

namespace edge::wg {
namespace {

namespace crypto = edge::wg::crypto;

// Packets handed to the AEAD per call: the batch kernels' natural size, on the stack.
constexpr std::size_t k_chunk = 64;

// The IP packet's own length (IPv4 total length, IPv6 40 + payload length), or 0 when the
// bytes are not a well-formed header that fits in them.
std::size_t ip_length(std::span<const std::uint8_t> p) noexcept {
    if (p.empty()) return 0;
    if (p[0] >> 4 == 4) {
        if (p.size() < 20) return 0;
        const std::size_t n = std::size_t(p[2]) << 8 | p[3];
        return n >= 20 && n <= p.size() ? n : 0;
    }
    if (p[0] >> 4 == 6) {
        if (p.size() < 40) return 0;
        const std::size_t n = 40 + (std::size_t(p[4]) << 8 | p[5]);
        return n <= p.size() ? n : 0;
    }
    return 0;
}

void reject(outbound_packet& p, error e, counters& count) noexcept {
    p.err = e;
    p.datagram_len = 0;
    count.add(e);
}

// The packets of one AEAD call: at most k_chunk, on the stack, each remembering its place in the
// caller's chunk. The slots are left uninitialised until used: a single packet must not pay for
// writing 64 default entries (3 KiB).
struct aead_chunk {
    union slots {
        slots() noexcept {}
        crypto::aead_packet p[k_chunk];
    } aead;
    std::array<std::size_t, k_chunk> which;
    std::size_t n = 0;

    void add(std::size_t i, const crypto::aead_packet& a) noexcept {
        new (&aead.p[n]) crypto::aead_packet(a);
        which[n++] = i;
    }
    crypto::aead_packet& operator[](std::size_t j) noexcept { return aead.p[j]; }
    std::span<crypto::aead_packet> packets() noexcept { return {aead.p, n}; }
};

// The batch kernels share vector lanes across packets; a lone packet goes the direct way.
void seal_all(aead_chunk& c, const key& k) noexcept {
    if (c.n == 1) {
        crypto::aead_packet& p = c[0];
        crypto::aead_seal_in_place(std::span(p.data, p.len + tag_size), {}, k,
                                   crypto::wg_nonce(p.counter));
    } else {
        crypto::aead_seal_batch(c.packets(), k);
    }
}

void open_all(aead_chunk& c, const key& k) noexcept {
    if (c.n == 1) {
        crypto::aead_packet& p = c[0];
        p.ok = crypto::aead_open_in_place(std::span(p.data, p.len + tag_size), {}, k,
                                          crypto::wg_nonce(p.counter));
    } else {
        crypto::aead_open_batch(c.packets(), k);
    }
}

// Calls f(chunk) for consecutive runs of at most k_chunk packets.
template <class Packet, class F>
void for_each_chunk(std::span<Packet> packets, F&& f) noexcept {
    for (std::size_t base = 0; base < packets.size(); base += k_chunk)
        f(packets.subspan(base, std::min(k_chunk, packets.size() - base)));
}

}  // namespace

std::size_t padded_length(std::size_t len, std::size_t mtu) noexcept {
    const std::size_t rounded = (len + 15) & ~std::size_t(15);
    return std::max(len, std::min(rounded, mtu));
}

batch_outcome encapsulate(keypair& kp, std::span<outbound_packet> packets, std::size_t mtu,
                          time_ns now, counters& count) noexcept {
    batch_outcome out;
    for_each_chunk(packets, [&](std::span<outbound_packet> chunk) {
        aead_chunk c;
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            outbound_packet& p = chunk[i];
            p.err = error::none;
            if (p.plain_len > mtu) {
                reject(p, error::too_large, count);
                continue;
            }
            const std::size_t padded = padded_length(p.plain_len, mtu);
            if (p.buffer.size() < outbound_headroom + padded + tag_size) {
                reject(p, error::buffer_too_small, count);
                continue;
            }
            std::memset(p.buffer.data() + outbound_headroom + p.plain_len, 0, padded - p.plain_len);
            c.add(i, {p.buffer.data() + outbound_headroom, padded, 0, {}, false});
        }
        if (c.n == 0) return;
        // One reservation for the whole chunk (design §3's sanctioned sharing).
        auto first = kp.reserve_send_counters(c.n, now);
        if (!first) {
            for (std::size_t j = 0; j < c.n; ++j)
                reject(chunk[c.which[j]], first.error(), count);
            return;
        }
        for (std::size_t j = 0; j < c.n; ++j) {
            c[j].counter = *first + j;
            format(data_header{kp.remote_index(), *first + j},
                   chunk[c.which[j]].buffer.first<data_header_size>());
        }
        seal_all(c, kp.send_key());
        for (std::size_t j = 0; j < c.n; ++j) {
            outbound_packet& p = chunk[c.which[j]];
            p.datagram_len = data_header_size + c[j].len + tag_size;
            out.done++;
            if (p.plain_len > 0) {
                out.data++;
                out.bytes += p.plain_len;
            }
        }
    });
    out.should_rekey = kp.should_rekey_after_send(now);
    return out;
}

batch_outcome decapsulate(keypair& kp, std::span<inbound_packet> packets,
                          const allowed_ips_table* ips, time_ns now, counters& count) noexcept {
    batch_outcome out;
    auto fail = [&count](inbound_packet& p, error e) {
        p.err = e;
        p.plain = {};
        count.add(e);
    };
    const bool valid = kp.is_receive_valid(now);
    for_each_chunk(packets, [&](std::span<inbound_packet> chunk) {
        aead_chunk c;
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            inbound_packet& p = chunk[i];
            p.err = error::none;
            auto h = parse_data_header(p.datagram);
            if (!h) {
                fail(p, h.error());
                continue;
            }
            if (h->receiver != kp.local_index()) {
                fail(p, error::unknown_index);
                continue;
            }
            if (!valid || h->counter >= kp.limits().reject_after_messages) {
                fail(p, error::expired_keys);
                continue;
            }
            p.counter = h->counter;
            c.add(i, {p.datagram.data() + data_header_size,
                      p.datagram.size() - data_header_size - tag_size,
                      h->counter,
                      {},
                      false});
        }
        if (c.n == 0) return;
        open_all(c, kp.receive_key());
        std::array<bool, k_chunk> tag_ok{};
        for (std::size_t j = 0; j < c.n; ++j)
            tag_ok[j] = c[j].ok;
        // Only now, with every tag verified, does the batch touch the shared window.
        auto opened = c.packets();
        kp.accept_counters(
            opened, [](const crypto::aead_packet& a) { return a.counter; },
            [](crypto::aead_packet& a) -> bool& { return a.ok; });
        for (std::size_t j = 0; j < c.n; ++j) {
            inbound_packet& p = chunk[c.which[j]];
            if (!c[j].ok) {
                fail(p, tag_ok[j] ? error::replay : error::decrypt_failed);
                continue;
            }
            out.done++;
            out.last_counter = std::max(out.last_counter, p.counter);
            std::span<std::uint8_t> plain(c[j].data, c[j].len);
            if (plain.empty()) {  // a keepalive
                p.plain = {};
                continue;
            }
            const std::size_t len = ip_length(plain);
            if (len == 0) {
                fail(p, error::bad_inner_packet);
                continue;
            }
            p.plain = plain.first(len);
            if (ips != nullptr && ips->source_peer(p.plain) != kp.peer()) {
                fail(p, error::disallowed_source);
                continue;
            }
            out.data++;
            out.bytes += len;
        }
    });
    out.should_rekey = out.done > 0 && kp.should_rekey_after_receive(now);
    return out;
}

}  // namespace edge::wg
