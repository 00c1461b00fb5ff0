#pragma once
// Transport data messages (whitepaper §5.4.6): encapsulation and decapsulation of many packets of
// one keypair per call, in place in the caller's buffers, with no allocation and no lock per
// packet. This is the whole per-packet cost the data path pays beyond the AEAD itself: a header,
// padding to 16, one atomic add per batch for the counters, one short lock per batch for the
// replay window, and the inner packet's checks.
//
// Threading: any thread (a worker) holding a shared_ptr to the keypair; several threads may
// encapsulate and decapsulate for one keypair at once (keypair.hpp names the sharing). What a
// batch tells the control thread (activity for the timers, a rekey due, the sender's address for
// roaming) comes back in the batch's outcome for the caller to report (tunnel::note_*).

#include <cstddef>
#include <cstdint>
#include <span>

#include "wg/allowed_ips.hpp"
#include "wg/errors.hpp"
#include "wg/keypair.hpp"
#include "wg/messages.hpp"
#include "wg/types.hpp"

namespace edge::wg {

/// Bytes an outbound buffer needs beyond the plaintext: the header before it, and up to 15 bytes
/// of padding and the tag after it.
inline constexpr std::size_t outbound_headroom = data_header_size;
inline constexpr std::size_t outbound_tailroom = 15 + tag_size;

/// One packet to encapsulate. In: the plaintext IP packet lies at
/// buffer[outbound_headroom, outbound_headroom + plain_len), buffer.size() leaves room for the
/// padding and tag. Out: on success the datagram to send is buffer[0, datagram_len).
struct outbound_packet {
    std::span<std::uint8_t> buffer{};
    std::size_t plain_len = 0;
    std::size_t datagram_len = 0;
    error err = error::none;
};

/// One received data message of the batch's keypair (receiver index checked again here). In:
/// datagram. Out: on success `plain` is the IP packet inside the datagram (decrypted in place,
/// padding cut by the IP header's length), empty for a keepalive; `counter` its counter.
struct inbound_packet {
    std::span<std::uint8_t> datagram{};
    std::span<std::uint8_t> plain{};
    std::uint64_t counter = 0;
    error err = error::none;
};

/// What a batch tells the caller beyond each packet's result.
struct batch_outcome {
    std::size_t done = 0;            ///< packets sealed, or opened and accepted (keepalives too)
    std::size_t data = 0;            ///< of those, packets that carried data (not keepalives)
    std::size_t bytes = 0;           ///< plaintext bytes of those packets
    bool should_rekey = false;       ///< the keypair calls for a new handshake (§6.2)
    std::uint64_t last_counter = 0;  ///< decapsulate: the highest counter accepted
};

/// The length a plaintext of `len` bytes is padded to for a tunnel of `mtu` (§5.4.6: a multiple
/// of 16, but never beyond the MTU). Any thread.
std::size_t padded_length(std::size_t len, std::size_t mtu) noexcept;

/// Seals every packet with consecutive counters reserved in one block. Rejections (buffer too
/// small, too large for the MTU, expired keys) set the packet's err and are counted. Any thread.
batch_outcome encapsulate(keypair& kp, std::span<outbound_packet> packets, std::size_t mtu,
                          time_ns now, counters& count) noexcept;

/// Opens every packet, checks replay after the tags verify, checks the inner packet (a
/// well-formed IPv4/IPv6 header whose source `ips` gives to the keypair's peer; pass null to skip
/// the source check). Rejections set err and are counted. Any thread.
batch_outcome decapsulate(keypair& kp, std::span<inbound_packet> packets,
                          const allowed_ips_table* ips, time_ns now, counters& count) noexcept;

}  // namespace edge::wg
