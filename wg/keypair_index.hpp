#pragma once
// A worker's own view of the tunnel's keypairs: receiver index → keypair for what it decrypts,
// peer → current keypair for what it encrypts. The control thread publishes a peer's keypairs
// (tunnel::sessions_of) whenever tunnel::epoch() moves; the worker applies them here at a loop
// boundary. Each worker owns one: lookups take no lock and allocate nothing; updates allocate
// (once per handshake, never per packet) and release the keypairs the worker no longer needs —
// the last release anywhere wipes the keys.

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "wg/keypair.hpp"
#include "wg/session.hpp"
#include "wg/types.hpp"

namespace edge::wg {

class keypair_index {
  public:
    /// Replaces what this worker knows of one peer's keypairs. Owner (worker) thread.
    void update(peer_id peer, const session_set& published);
    /// Forgets a removed peer. Owner thread.
    void remove(peer_id peer);
    /// The keypair a data message's receiver index names, or null. Owner thread.
    keypair* find(std::uint32_t receiver_index) const noexcept;
    /// The keypair to encrypt for `peer` with (its current one), or null. Owner thread.
    keypair* sending(peer_id peer) const noexcept;
    /// How many keypairs this worker holds. Owner thread.
    std::size_t size() const noexcept { return by_index_.size(); }

  private:
    std::unordered_map<std::uint32_t, std::shared_ptr<keypair>> by_index_;
    std::vector<session_set> by_peer_;
};

}  // namespace edge::wg
