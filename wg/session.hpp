#pragma once
// One peer's keypairs (whitepaper §5.4.5, §6.1): `current` sends; `previous` still receives the
// packets in flight when a new keypair took over; `next` is a keypair we answered as responder
// and may not send on until the initiator proves it holds it — its first data packet on `next`
// makes `next` current (key confirmation).
//
// Threading: the control (handshake) thread owns the slots; workers hold their own shared_ptr
// copies of the keypairs the tunnel publishes (tunnel::sessions_of) and never see these fields.

#include <array>
#include <memory>

#include "wg/keypair.hpp"
#include "wg/types.hpp"

namespace edge::wg {

/// A peer's keypairs as the control thread publishes them to workers (tunnel::sessions_of).
struct session_set {
    std::shared_ptr<keypair> current, previous, next;
};

class session {
  public:
    /// Keypairs that left the session in one step; the caller unregisters their indices. The
    /// keys are wiped when the last reference to each goes.
    using dropped = std::array<std::shared_ptr<keypair>, 3>;

    /// A keypair from a handshake we initiated: current at once (we have proof the responder
    /// holds it: its response). A pending `next` becomes `previous`. Control thread.
    dropped install_initiated(std::shared_ptr<keypair> kp) noexcept;
    /// A keypair from a handshake we answered: `next` until confirmed. Control thread.
    dropped install_responded(std::shared_ptr<keypair> kp) noexcept;
    /// Data arrived on `kp`: when it is `next`, it becomes current (§5.4.6's confirmation) and
    /// the old current becomes previous. Returns what was dropped. Control thread.
    dropped confirm(const keypair& kp) noexcept;
    /// Drops every keypair past REJECT_AFTER_TIME at `now`. Control thread.
    dropped expire(time_ns now) noexcept;
    /// Drops everything (keys zeroed as references go). Control thread.
    dropped clear() noexcept;

    /// The keypair with this local index, or null. Control thread.
    keypair* find(std::uint32_t local_index) const noexcept;
    /// When the oldest keypair expires (no_deadline if none). Control thread.
    time_ns next_expiry() const noexcept;

    /// The slots themselves. Control thread.
    const std::shared_ptr<keypair>& current() const noexcept { return current_; }
    const std::shared_ptr<keypair>& previous() const noexcept { return previous_; }
    const std::shared_ptr<keypair>& next() const noexcept { return next_; }

  private:
    std::shared_ptr<keypair> current_, previous_, next_;
};

}  // namespace edge::wg
