#include "wg/peer.hpp"

namespace edge::wg {

peer::peer(peer_id id_, const local_identity& local, const peer_config& config,
           std::size_t staged_capacity, std::size_t staged_max_size) noexcept
    : id(id_),
      identity(
          remote_identity::make(local, config.public_key, config.preshared_key.value_or(key{}))),
      cookies(identity.mac1_key, identity.cookie_key),
      staged(staged_capacity, staged_max_size),
      endpoint(config.endpoint),
      persistent_keepalive_s(config.persistent_keepalive_s) {}

}  // namespace edge::wg
