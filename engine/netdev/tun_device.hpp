#pragma once
// The tunnel's TUN interface: a multi-queue layer-3 device (IFF_TUN | IFF_NO_PI |
// IFF_MULTI_QUEUE), one queue per worker so that each worker reads the packets the kernel
// steers to it and writes its own, with no lock between them. With offloads (IFF_VNET_HDR and
// TUNSETOFFLOAD), each packet carries a virtio-net header (engine/codec/gso.hpp) and one read
// may carry a whole TSO "super-packet" of up to 64 KiB: one read, one completion, for dozens of
// TCP segments.
//
// The interface exists while a queue is open (not persistent): when the process exits, the
// kernel removes it and its addresses and routes with it. Needs CAP_NET_ADMIN.

#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

class tun_device {
  public:
    /// Creates interface `name` with `queues` queues (non-blocking descriptors, for the ring).
    /// `offload`: ask for the virtio-net header with checksum, TSO and USO offloads (as many as
    /// the kernel takes: USO needs 6.2, TSO and checksums are older). The error says what failed
    /// and, for EPERM, names CAP_NET_ADMIN. Start-up (main thread).
    static result<tun_device, std::string> create(const std::string& name, unsigned queues,
                                                  bool offload);

    tun_device(tun_device&&) noexcept = default;
    tun_device& operator=(tun_device&&) noexcept = default;

    const std::string& name() const noexcept { return name_; }
    /// The queue descriptor of worker `i`; the device keeps ownership.
    int queue(unsigned i) const noexcept { return queues_[i].get(); }
    unsigned queues() const noexcept { return static_cast<unsigned>(queues_.size()); }
    /// Packets carry a virtio-net header (offloads on).
    bool vnet_header() const noexcept { return vnet_; }
    /// Which offloads the kernel took: TSO (IPv4 and IPv6), USO.
    bool tso() const noexcept { return tso_; }
    bool uso() const noexcept { return uso_; }

  private:
    tun_device() = default;

    std::string name_;
    std::vector<unique_fd> queues_;
    bool vnet_ = false;
    bool tso_ = false;
    bool uso_ = false;
};

}  // namespace edge::engine
