#include "engine/control/tunnel_control.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "base/key_base64.hpp"
#include "base/log.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine {

namespace {

wg::peer_config to_peer_config(const routing::wg_peer& row) {
    wg::peer_config p;
    p.public_key = row.public_key;
    p.preshared_key = row.preshared_key;
    if (!row.endpoint.empty()) p.endpoint = row.endpoint;
    p.allowed_ips = row.allowed_ips;
    p.persistent_keepalive_s = row.persistent_keepalive;
    return p;
}

bool same_config(const wg::peer_config& a, const wg::peer_config& b) {
    return a.public_key == b.public_key && a.preshared_key == b.preshared_key &&
           a.endpoint == b.endpoint && a.allowed_ips == b.allowed_ips &&
           a.persistent_keepalive_s == b.persistent_keepalive_s;
}

}  // namespace

tunnel_control::tunnel_control(setup s) : s_(std::move(s)) {
    auto nl = rtnetlink::open();
    if (nl)
        netlink_.emplace(std::move(*nl));
    else
        log::error("tunnel: netlink: {}; routes for peers' allowed IPs cannot be managed",
                   error_text(nl.error()));
}

tunnel_control::~tunnel_control() {
    if (reactor_ == nullptr) return;
    for (event_channel<tunnel_event>* ch : s_.channels)
        reactor_->unwatch(ch->wake_fd());
    if (tick_timer_ != 0) reactor_->cancel(tick_timer_);
}

wg::time_ns tunnel_control::now() const noexcept {
    // The clock the workers use (CLOCK_MONOTONIC_COARSE): a keypair's age reads the same on
    // every thread.
    return std::chrono::milliseconds(monotonic_coarse_ms());
}

void tunnel_control::attach(reactor& r) {
    reactor_ = &r;
    for (const wg::peer_config& p : s_.file_peers)
        add_peer(p, true);
    for (unsigned i = 0; i < s_.channels.size(); ++i)
        (void)r.watch(s_.channels[i]->wake_fd(), EPOLLIN, [this, i](std::uint32_t) { on_wake(i); });
    pump();
}

// ---------------------------------------------------------------------------------------------
// peers and routes

void tunnel_control::add_peer(const wg::peer_config& p, bool from_file) noexcept {
    auto id = s_.tunnel->add_peer(p);
    if (!id) {
        log::warn("tunnel: peer {}: refused ({})", key_to_base64(p.public_key),
                  wg::error_name(id.error()));
        return;
    }
    peers_[p.public_key] = peer_entry{*id, p, from_file};
    log::info("tunnel: peer {} added ({} allowed IPs{})", key_to_base64(p.public_key),
              p.allowed_ips.size(),
              p.endpoint ? fmt::format(", endpoint {}", to_string(*p.endpoint)) : std::string());
}

void tunnel_control::remove_peer(const wg::key& public_key) noexcept {
    auto it = peers_.find(public_key);
    if (it == peers_.end()) return;
    s_.tunnel->remove_peer(it->second.id);
    // Workers forget its keypairs; the allowed-IPs table (published below) no longer routes to it.
    for (unsigned w = 0; w < s_.channels.size(); ++w)
        s_.send_to(w, tunnel_keys_message{it->second.id, {}});
    if (it->second.id < published_keys_.size()) published_keys_[it->second.id] = {};
    log::info("tunnel: peer {} removed", key_to_base64(public_key));
    peers_.erase(it);
}

void tunnel_control::on_routing(const routing::snapshot& snap) {
    std::map<wg::key, wg::peer_config> wanted;
    for (const routing::wg_peer& row : snap.wg_peers) {
        auto f = peers_.find(row.public_key);
        if (f != peers_.end() && f->second.from_file) {
            if (routing_peer_warnings_++ < 16)
                log::warn("tunnel: wg_peers row {} is also in the config file; the file wins",
                          key_to_base64(row.public_key));
            continue;
        }
        wanted[row.public_key] = to_peer_config(row);
    }
    std::vector<wg::key> gone;
    for (const auto& [key, e] : peers_)
        if (!e.from_file && (!wanted.count(key) || !same_config(wanted[key], e.config)))
            gone.push_back(key);
    for (const wg::key& k : gone)
        remove_peer(k);
    for (const auto& [key, cfg] : wanted)
        if (!peers_.count(key)) add_peer(cfg, false);
    pump();
}

void tunnel_control::sync_routes() noexcept {
    // Every peer's allowed IPs route through the tunnel's interface, and nothing else does.
    std::map<ip_prefix, wg::peer_id> want;
    for (const auto& [key, e] : peers_)
        for (const ip_prefix& p : e.config.allowed_ips)
            want.emplace(p, e.id);
    if (!netlink_) return;
    for (auto it = routes_.begin(); it != routes_.end();) {
        if (want.count(it->first)) {
            ++it;
            continue;
        }
        if (auto ok = netlink_->del_route(s_.ifindex, it->first); !ok)
            log::warn("tunnel: removing the route to {}: {}", to_string(it->first),
                      error_text(ok.error()));
        it = routes_.erase(it);
    }
    for (const auto& [prefix, id] : want) {
        if (routes_.count(prefix)) continue;
        if (auto ok = netlink_->add_route(s_.ifindex, prefix); !ok) {
            log::warn("tunnel: routing {} through {}: {}", to_string(prefix), s_.interface,
                      error_text(ok.error()));
            continue;
        }
        routes_.emplace(prefix, id);
    }
}

// ---------------------------------------------------------------------------------------------
// events from the workers

void tunnel_control::on_wake(unsigned worker) noexcept {
    event_channel<tunnel_event>& ch = *s_.channels[worker];
    ch.acknowledge();
    const wg::time_ns t = now();
    while (auto e = ch.pop())
        handle(*e, t);
    pump();
}

void tunnel_control::handle(tunnel_event& e, wg::time_ns t) noexcept {
    wg::tunnel& tun = *s_.tunnel;
    switch (e.what) {
        case tunnel_event::kind::handshake:
            send(tun.receive({e.bytes.data(), e.len}, e.from, t, out_));
            return;
        case tunnel_event::kind::unrouted:
            send(tun.send({e.bytes.data(), e.len}, t, out_));
            return;
        case tunnel_event::kind::sent:
            tun.note_sent(e.peer, e.packets, e.data, e.data_bytes, e.should_rekey, t);
            return;
        case tunnel_event::kind::received:
            tun.note_received(e.peer, e.local_index, e.from, e.packets, e.data, e.data_bytes,
                              e.should_rekey, t);
            return;
        case tunnel_event::kind::tun_gone:
            if (!recreating_) {
                recreating_ = true;
                log::error("tunnel: interface {} is gone (deleted from outside?); recreating it",
                           s_.interface);
                recreate_interface();
            }
            return;
        case tunnel_event::kind::none:
            return;
    }
}

void tunnel_control::recreate_interface() noexcept {
    auto retry = [this](const std::string& why) {
        log::error("tunnel: recreating {}: {}; trying again in 1 s", s_.interface, why);
        reactor_->at(monotonic_coarse_ms() + 1000, [this] { recreate_interface(); });
    };
    auto tun = tun_device::create(s_.interface, static_cast<unsigned>(s_.channels.size()), true);
    if (!tun) return retry(tun.error());
    if (!netlink_) return retry("no netlink socket");
    auto idx = netlink_->ifindex(s_.interface);
    if (!idx) return retry(error_text(idx.error()));
    for (const wg::interface_address& a : s_.addresses)
        if (auto ok = netlink_->add_address(*idx, a.address, a.length); !ok)
            return retry(
                fmt::format("address {}: {}", host_string(a.address), error_text(ok.error())));
    if (auto ok = netlink_->set_link(*idx, true, static_cast<unsigned>(s_.mtu)); !ok)
        return retry(error_text(ok.error()));
    if (s_.tun) retired_devices_.push_back(std::move(*s_.tun));
    s_.tun.emplace(std::move(*tun));
    s_.ifindex = *idx;
    routes_.clear();  // they went with the old interface
    sync_routes();
    for (unsigned w = 0; w < s_.channels.size(); ++w)
        s_.send_to(w, tunnel_queue_message{s_.tun->queue(w)});
    recreating_ = false;
    log::info("tunnel: interface {} recreated ({} routes)", s_.interface, routes_.size());
}

void tunnel_control::send(const wg::packet_result& r) noexcept {
    if (r.what != wg::action::to_network || r.endpoint.empty() || s_.channels.empty()) return;
    tunnel_datagram_message m;
    m.to = r.endpoint;
    m.len = static_cast<std::uint16_t>(std::min(r.packet.size(), m.bytes.size()));
    std::memcpy(m.bytes.data(), r.packet.data(), m.len);
    // Any worker's socket sends from the tunnel's port; spread them.
    unsigned w = next_sender_++ % static_cast<unsigned>(s_.channels.size());
    s_.send_to(w, std::move(m));
}

void tunnel_control::pump() noexcept {
    wg::tunnel& tun = *s_.tunnel;
    const wg::time_ns t = now();
    // Packets staged during a handshake that completed: sealed here and sent.
    while (tun.pending() > 0) {
        wg::packet_result r = tun.drain(t, out_);
        if (r.what == wg::action::none) break;
        send(r);
    }
    if (tun.next_deadline(t) <= t) {
        for (int i = 0; i < 4096; ++i) {  // bounded: one datagram per call
            wg::packet_result r = tun.tick(t, out_);
            if (r.what == wg::action::none) break;
            send(r);
        }
    }
    publish_keys();
    publish_routes();
    schedule_tick();
}

void tunnel_control::schedule_tick() noexcept {
    const wg::time_ns t = now();
    wg::time_ns next = s_.tunnel->next_deadline(t);
    if (next == wg::no_deadline) return;
    auto due_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(next).count());
    due_ms = std::max<std::uint64_t>(due_ms, monotonic_coarse_ms() + 1);
    if (tick_timer_ != 0 && tick_at_ms_ <= due_ms) return;  // an earlier one is set
    if (tick_timer_ != 0) reactor_->cancel(tick_timer_);
    tick_at_ms_ = due_ms;
    tick_timer_ = reactor_->at(due_ms, [this] {
        tick_timer_ = 0;
        pump();
    });
}

void tunnel_control::publish_keys() noexcept {
    wg::tunnel& tun = *s_.tunnel;
    if (tun.epoch() == published_epoch_) return;
    published_epoch_ = tun.epoch();
    for (const auto& [key, e] : peers_) {
        wg::session_set now_set = tun.sessions_of(e.id);
        if (e.id >= published_keys_.size()) published_keys_.resize(e.id + 1);
        wg::session_set& was = published_keys_[e.id];
        if (was.current == now_set.current && was.previous == now_set.previous &&
            was.next == now_set.next)
            continue;
        was = now_set;
        for (unsigned w = 0; w < s_.channels.size(); ++w)
            s_.send_to(w, tunnel_keys_message{e.id, now_set});
    }
}

void tunnel_control::publish_routes() noexcept {
    wg::tunnel& tun = *s_.tunnel;
    auto table = tun.routing_table();
    std::vector<socket_address> endpoints;
    for (const auto& [key, e] : peers_) {
        if (e.id >= endpoints.size()) endpoints.resize(e.id + 1);
        const wg::peer* p = tun.get_peer(e.id);
        if (p != nullptr && p->endpoint) endpoints[e.id] = *p->endpoint;
    }
    if (table == published_table_ && endpoints == published_endpoints_) return;
    if (table != published_table_) sync_routes();
    published_table_ = table;
    published_endpoints_ = endpoints;
    auto shared = std::make_shared<const std::vector<socket_address>>(std::move(endpoints));
    for (unsigned w = 0; w < s_.channels.size(); ++w)
        s_.send_to(w, tunnel_routes_message{table, shared});
}

// ---------------------------------------------------------------------------------------------
// what an operator sees

void tunnel_control::render_metrics(std::string& out) const {
    auto o = std::back_inserter(out);
    const wg::tunnel& tun = *s_.tunnel;
    const wg::time_ns t = now();
    fmt::format_to(o,
                   "# HELP edge_wg_peers WireGuard peers of the tunnel\n"
                   "# TYPE edge_wg_peers gauge\nedge_wg_peers {}\n",
                   peers_.size());
    struct series {
        const char* name;
        const char* type;
        const char* help;
    };
    auto sum_peer = [&](wg::peer_id id, auto get) {
        std::uint64_t v = 0;
        for (const tunnel_metrics* m : s_.metrics)
            if (id < tunnel_metrics::max_peers) v += get(m->peers[id]);
        return v;
    };
    const series per_peer[] = {
        {"edge_wg_peer_handshakes_total", "counter", "Handshakes completed with the peer"},
        {"edge_wg_peer_handshake_age_seconds", "gauge",
         "Seconds since the last handshake with the peer (absent: none yet)"},
        {"edge_wg_peer_bytes_total", "counter", "Plaintext bytes through the tunnel, by direction"},
        {"edge_wg_peer_packets_total", "counter", "Packets through the tunnel, by direction"},
        {"edge_wg_peer_decrypt_failures_total", "counter",
         "Data messages from the peer whose tag did not verify"},
        {"edge_wg_peer_replays_total", "counter", "Replayed or too old data messages dropped"},
        {"edge_wg_peer_no_session_total", "counter",
         "Packets that waited for a handshake (staged on the control thread)"},
    };
    for (std::size_t k = 0; k < std::size(per_peer); ++k) {
        fmt::format_to(o, "# HELP {} {}\n# TYPE {} {}\n", per_peer[k].name, per_peer[k].help,
                       per_peer[k].name, per_peer[k].type);
        for (const auto& [key, e] : peers_) {
            const std::string label = key_to_base64(key);
            const wg::peer* p = tun.get_peer(e.id);
            if (p == nullptr) continue;
            switch (k) {
                case 0:
                    fmt::format_to(o, "{}{{peer=\"{}\"}} {}\n", per_peer[k].name, label,
                                   p->stats.handshakes);
                    break;
                case 1:
                    if (p->stats.last_handshake != wg::no_deadline)
                        fmt::format_to(
                            o, "{}{{peer=\"{}\"}} {:.3f}\n", per_peer[k].name, label,
                            std::chrono::duration<double>(t - p->stats.last_handshake).count());
                    break;
                case 2:
                    fmt::format_to(o, "{}{{peer=\"{}\",direction=\"rx\"}} {}\n", per_peer[k].name,
                                   label, sum_peer(e.id, [](auto& c) { return c.rx_bytes.get(); }));
                    fmt::format_to(o, "{}{{peer=\"{}\",direction=\"tx\"}} {}\n", per_peer[k].name,
                                   label, sum_peer(e.id, [](auto& c) { return c.tx_bytes.get(); }));
                    break;
                case 3:
                    fmt::format_to(o, "{}{{peer=\"{}\",direction=\"rx\"}} {}\n", per_peer[k].name,
                                   label,
                                   sum_peer(e.id, [](auto& c) { return c.rx_packets.get(); }));
                    fmt::format_to(o, "{}{{peer=\"{}\",direction=\"tx\"}} {}\n", per_peer[k].name,
                                   label,
                                   sum_peer(e.id, [](auto& c) { return c.tx_packets.get(); }));
                    break;
                case 4:
                    fmt::format_to(
                        o, "{}{{peer=\"{}\"}} {}\n", per_peer[k].name, label,
                        sum_peer(e.id, [](auto& c) { return c.decrypt_failures.get(); }));
                    break;
                case 5:
                    fmt::format_to(o, "{}{{peer=\"{}\"}} {}\n", per_peer[k].name, label,
                                   sum_peer(e.id, [](auto& c) { return c.replays.get(); }));
                    break;
                case 6:
                    fmt::format_to(o, "{}{{peer=\"{}\"}} {}\n", per_peer[k].name, label,
                                   sum_peer(e.id, [](auto& c) { return c.no_session.get(); }));
                    break;
            }
        }
    }
    fmt::format_to(o,
                   "# HELP edge_wg_rejections_total Datagrams and packets the protocol refused, "
                   "by reason (cookie_required: a cookie reply was sent)\n"
                   "# TYPE edge_wg_rejections_total counter\n");
    for (std::size_t r = 1; r < wg::error_count; ++r) {
        auto e = static_cast<wg::error>(r);
        std::uint64_t v = tun.rejections().get(e);
        for (const tunnel_metrics* m : s_.metrics)
            v += m->rejections.get(e);
        fmt::format_to(o, "edge_wg_rejections_total{{reason=\"{}\"}} {}\n", wg::error_name(e), v);
    }
    fmt::format_to(o,
                   "# HELP edge_wg_drops_total Packets the data path dropped, by reason\n"
                   "# TYPE edge_wg_drops_total counter\n");
    for (std::size_t r = 0; r < tunnel_drop_names.size(); ++r) {
        std::uint64_t v = 0;
        for (const tunnel_metrics* m : s_.metrics)
            v += m->drops[r].get();
        fmt::format_to(o, "edge_wg_drops_total{{reason=\"{}\"}} {}\n", tunnel_drop_names[r], v);
    }
    auto total = [&](auto get) {
        std::uint64_t v = 0;
        for (const tunnel_metrics* m : s_.metrics)
            v += get(*m);
        return v;
    };
    fmt::format_to(
        o,
        "# HELP edge_wg_datagrams_total UDP datagrams of the tunnel, by direction\n"
        "# TYPE edge_wg_datagrams_total counter\n"
        "edge_wg_datagrams_total{{direction=\"in\"}} {}\n"
        "edge_wg_datagrams_total{{direction=\"out\"}} {}\n"
        "# HELP edge_wg_gso_segments_total Packets cut from TSO super-packets read from the TUN "
        "device\n# TYPE edge_wg_gso_segments_total counter\nedge_wg_gso_segments_total {}\n"
        "# HELP edge_wg_gro_batches_total UDP reads that carried several datagrams\n"
        "# TYPE edge_wg_gro_batches_total counter\nedge_wg_gro_batches_total {}\n"
        "# HELP edge_wg_tun_coalesced_total Runs of TCP segments written to the TUN device as one "
        "packet\n# TYPE edge_wg_tun_coalesced_total counter\nedge_wg_tun_coalesced_total {}\n",
        total([](const tunnel_metrics& m) { return m.udp_datagrams_in.get(); }),
        total([](const tunnel_metrics& m) { return m.udp_datagrams_out.get(); }),
        total([](const tunnel_metrics& m) { return m.gso_segments.get(); }),
        total([](const tunnel_metrics& m) { return m.gro_batches.get(); }),
        total([](const tunnel_metrics& m) { return m.gro_runs.get(); }));
}

void tunnel_control::render_status(std::string& out) const {
    auto o = std::back_inserter(out);
    const wg::tunnel& tun = *s_.tunnel;
    const wg::time_ns t = now();
    fmt::format_to(o,
                   "{{\"enabled\":true,\"interface\":\"{}\",\"public_key\":\"{}\",\"listen_port\":{"
                   "},\"peers\":[",
                   s_.interface, key_to_base64(tun.identity().public_key), s_.listen_port);
    bool first = true;
    for (const auto& [key, e] : peers_) {
        const wg::peer* p = tun.get_peer(e.id);
        if (p == nullptr) continue;
        std::uint64_t rx = 0, tx = 0;
        for (const tunnel_metrics* m : s_.metrics) {
            rx += m->peers[e.id].rx_bytes.get();
            tx += m->peers[e.id].tx_bytes.get();
        }
        std::string allowed;
        for (const ip_prefix& a : e.config.allowed_ips)
            allowed += (allowed.empty() ? "\"" : ",\"") + to_string(a) + "\"";
        std::string age = "null";
        if (p->stats.last_handshake != wg::no_deadline)
            age = fmt::format("{:.0f}",
                              std::chrono::duration<double>(t - p->stats.last_handshake).count());
        fmt::format_to(o,
                       "{}{{\"public_key\":\"{}\",\"source\":\"{}\",\"endpoint\":{},"
                       "\"allowed_ips\":[{}],\"latest_handshake_seconds_ago\":{},"
                       "\"handshakes\":{},\"rx_bytes\":{},\"tx_bytes\":{},"
                       "\"persistent_keepalive\":{},\"preshared_key\":{}}}",
                       first ? "" : ",", key_to_base64(key), e.from_file ? "config" : "routing.db",
                       p->endpoint ? fmt::format("\"{}\"", to_string(*p->endpoint)) : "null",
                       allowed, age, p->stats.handshakes, rx, tx, p->persistent_keepalive_s,
                       e.config.preshared_key ? "true" : "false");
        first = false;
    }
    fmt::format_to(o, "]}}\n");
}

}  // namespace edge::engine
