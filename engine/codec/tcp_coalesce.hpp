#pragma once
// Receive-side coalescing for a TUN device with virtio-net headers (the mirror of gso.hpp): TCP
// segments of one flow that follow each other — same addresses, ports, header options,
// acknowledgement and window; consecutive sequence numbers; all but the last of one size — are
// joined into one "super-packet" written with a GSO header, so the kernel takes one packet (one
// write, one pass through its stack) for up to 64 KiB instead of forty. This is what the kernel's
// own GRO does for a NIC; a userspace tunnel has to do it itself. Pure code; any thread.
//
// The rules are GRO's (Linux net/ipv4/tcp_offload.c): anything unusual (IP options or extension
// headers, fragments, flags other than ACK and a final PSH, differing TCP options) is not merged
// and goes on alone.

#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::engine {

/// What coalescing needs of one IPv4/IPv6 TCP segment.
struct tcp_segment {
    bool valid = false;  // parsed as a mergeable TCP segment
    bool v6 = false;
    std::uint16_t ip_len = 0;   // IP header bytes
    std::uint16_t tcp_len = 0;  // TCP header bytes (options included)
    std::uint32_t seq = 0;
    std::uint8_t flags = 0;
    std::size_t payload = 0;
    std::span<const std::uint8_t> bytes;

    /// Parses `packet`; valid only for a TCP segment GRO could merge (ACK, maybe PSH; payload).
    static tcp_segment parse(std::span<const std::uint8_t> packet) noexcept;
};

/// Whether `next` continues the run that started with `first` and whose last segment is
/// `last`, given the run's total IP length so far (`run_bytes`, headers once).
bool continues(const tcp_segment& first, const tcp_segment& last, const tcp_segment& next,
               std::size_t run_bytes) noexcept;

/// Writes the run `segments` (at least two, each having continued the first) as one packet: a
/// virtio-net header (GSO TCPv4/TCPv6, gso_size = the first's payload, a partial checksum) then
/// the first's headers with the whole length and the payloads in order. `out` must hold
/// vnet_header::size + the run's bytes. Returns the bytes written.
std::size_t write_coalesced(std::span<const tcp_segment> segments,
                            std::span<std::uint8_t> out) noexcept;

/// The bytes write_coalesced needs for a run of segments.
std::size_t coalesced_size(std::span<const tcp_segment> segments) noexcept;

}  // namespace edge::engine
