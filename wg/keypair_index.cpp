#include "wg/keypair_index.hpp"

namespace edge::wg {

void keypair_index::update(peer_id peer, const session_set& published) {
    remove(peer);
    if (peer >= by_peer_.size()) by_peer_.resize(std::size_t(peer) + 1);
    by_peer_[peer] = published;
    for (const auto* kp : {&published.current, &published.previous, &published.next})
        if (*kp) by_index_[(*kp)->local_index()] = *kp;
}

void keypair_index::remove(peer_id peer) {
    if (peer >= by_peer_.size()) return;
    session_set& old = by_peer_[peer];
    for (const auto* kp : {&old.current, &old.previous, &old.next})
        if (*kp) by_index_.erase((*kp)->local_index());
    old = {};
}

keypair* keypair_index::find(std::uint32_t receiver_index) const noexcept {
    auto it = by_index_.find(receiver_index);
    return it == by_index_.end() ? nullptr : it->second.get();
}

keypair* keypair_index::sending(peer_id peer) const noexcept {
    return peer < by_peer_.size() ? by_peer_[peer].current.get() : nullptr;
}

}  // namespace edge::wg
