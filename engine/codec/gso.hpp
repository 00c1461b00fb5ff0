#pragma once
// Segmentation offload as a TUN device with IFF_VNET_HDR hands it over: each packet read comes
// after a virtio-net header (struct virtio_net_hdr, 10 bytes, host byte order) that may say
//   * "needs checksum": the L4 checksum is partial (the pseudo-header sum only), and
//   * a GSO type: a TCP (TSO) or UDP (USO) "super-packet" of up to 64 KiB, to be cut into
//     gso_size pieces of payload, each with its own IP and L4 headers.
// The kernel does this work for real NICs; for a userspace tunnel it is ours, and it is what lets
// one read (one syscall or one CQE) carry forty segments of a TCP stream. gso_splitter turns one
// such packet into the packets that go into the tunnel. Pure code; any thread.
//
// Written from the virtio specification (v1.2 §5.1.6.2) and the kernel's uapi headers; values of
// the ABI are named here because Debian 12's headers predate some (USO).

#include <cstddef>
#include <cstdint>
#include <span>

namespace edge::engine {

/// struct virtio_net_hdr (no num_buffers), as TUN reads and writes it in host byte order.
struct vnet_header {
    std::uint8_t flags = 0;
    std::uint8_t gso_type = 0;
    std::uint16_t hdr_len = 0;
    std::uint16_t gso_size = 0;
    std::uint16_t csum_start = 0;
    std::uint16_t csum_offset = 0;

    static constexpr std::size_t size = 10;
    static constexpr std::uint8_t f_needs_csum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
    static constexpr std::uint8_t f_data_valid = 2;  // VIRTIO_NET_HDR_F_DATA_VALID
    static constexpr std::uint8_t gso_none = 0;      // VIRTIO_NET_HDR_GSO_NONE
    static constexpr std::uint8_t gso_tcpv4 = 1;     // VIRTIO_NET_HDR_GSO_TCPV4
    static constexpr std::uint8_t gso_udp = 3;       // VIRTIO_NET_HDR_GSO_UDP (UFO, refused)
    static constexpr std::uint8_t gso_tcpv6 = 4;     // VIRTIO_NET_HDR_GSO_TCPV6
    static constexpr std::uint8_t gso_udp_l4 = 5;    // VIRTIO_NET_HDR_GSO_UDP_L4 (USO, 6.2)
    static constexpr std::uint8_t gso_ecn = 0x80;    // VIRTIO_NET_HDR_GSO_ECN

    /// Reads the header at the front of `bytes` (at least size bytes).
    static vnet_header read(std::span<const std::uint8_t> bytes) noexcept;
    /// Writes it at the front of `out` (at least size bytes).
    void write(std::span<std::uint8_t> out) const noexcept;
};

enum class gso_error : std::uint8_t {
    none,
    truncated,       // shorter than its headers say
    bad_ip,          // not IPv4/IPv6, or lengths that disagree
    bad_l4,          // the GSO type does not match the L4 protocol, or a bad TCP header
    bad_gso,         // gso_size 0 or beyond 64 KiB, or an unknown GSO type (UFO)
    bad_csum_start,  // a partial checksum outside the packet
};

/// Cuts one packet read from a TUN device (its vnet header and the IP packet after it) into the
/// packets that go on: one when it needs no segmentation (its partial checksum completed), or
/// ceil(payload / gso_size) segments. Segment i is written by write(i, out).
class gso_splitter {
  public:
    /// Checks the packet and prepares; on error nothing can be written (count() is 0).
    gso_error start(const vnet_header& h, std::span<const std::uint8_t> packet) noexcept;

    /// Packets this one becomes.
    std::size_t count() const noexcept { return count_; }
    /// Length of packet i (headers and its share of the payload).
    std::size_t length(std::size_t i) const noexcept;
    /// Writes packet i (length(i) bytes) to `out`, headers fixed and checksums complete.
    void write(std::size_t i, std::span<std::uint8_t> out) const noexcept;

  private:
    std::span<const std::uint8_t> packet_;
    vnet_header h_;
    std::size_t l4_offset_ = 0;  // start of the TCP/UDP header
    std::size_t headers_ = 0;    // IP + L4 header bytes, copied into every segment
    std::size_t payload_ = 0;    // bytes after the headers
    std::size_t mss_ = 0;        // payload per segment
    std::size_t count_ = 0;
    std::uint8_t proto_ = 0;  // 6 TCP, 17 UDP
    bool v4_ = true;
    bool segment_ = false;  // false: one packet, checksum completion only
};

/// Completes a partial L4 checksum in place (VIRTIO_NET_HDR_F_NEEDS_CSUM): the ones' complement
/// sum from `csum_start` to the end, stored at csum_start + csum_offset. False when out of range.
bool complete_checksum(std::span<std::uint8_t> packet, std::uint16_t csum_start,
                       std::uint16_t csum_offset) noexcept;

}  // namespace edge::engine
