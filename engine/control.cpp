#include "engine/control.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/log.hpp"
#include "engine/clock.hpp"
#include "geo/database.hpp"

namespace edge::engine {

namespace {

sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

}  // namespace

void control::block_signals() noexcept {
    sigset_t set = handled_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // Writes to a peer that has gone come back as EPIPE from the ring; never as a signal.
    signal(SIGPIPE, SIG_IGN);
}

control::control(setup s)
    : cfg_(*s.cfg),
      workers_(std::move(s.workers)),
      admin_(std::move(s.admin)),
      snap_(std::move(s.snapshot)),
      registry_(s.registry),
      load_(std::move(s.load)),
      watcher_(std::move(s.watcher)),
      bindings_(s.bindings),
      geo_(std::move(s.geo)),
      region_map_(std::move(s.region_map)) {
    if (geo_) geo_db_ = geo_->current();
    sigset_t set = handled_signals();
    signal_fd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    stop_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    for (const routing::rejected_row& r : s.rejected)
        last_rejected_.push_back(r.id + ": " + r.reason);
    stats_.rows_rejected = s.rejected.size();
}

control::~control() = default;

void control::stop() noexcept {
    std::uint64_t one = 1;
    (void)!::write(stop_fd_.get(), &one, sizeof(one));
}

void control::broadcast(worker_message::kind what) noexcept {
    for (worker* w : workers_) {
        worker_message m;
        m.what = what;
        // The inbox holds 64 messages and a worker empties it on every wake-up; a full inbox
        // means the worker is stuck, and retrying briefly is all we can do from here.
        for (int i = 0; i < 1000 && !w->post(m); ++i)
            usleep(1000);
    }
}

void control::on_signal() noexcept {
    signalfd_siginfo info{};
    while (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
        int sig = static_cast<int>(info.ssi_signo);
        if (sig == SIGHUP) {
            log::info("SIGHUP: checking routing.db now");
            reload();
            continue;
        }
        ++signals_seen_;
        if (signals_seen_ == 1) {
            log::info("{}: draining, live connections get up to {} ms", strsignal(sig),
                      cfg_.drain_timeout.count());
            draining_.store(true, std::memory_order_relaxed);
            broadcast(worker_message::kind::drain);
        } else {
            log::warn("{} again: stopping now", strsignal(sig));
            broadcast(worker_message::kind::stop);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// routing reloads

void control::log_rejected(const std::vector<routing::rejected_row>& rows) {
    std::vector<std::string> now;
    now.reserve(rows.size());
    for (const routing::rejected_row& r : rows)
        now.push_back(r.id + ": " + r.reason);
    if (now == last_rejected_) return;  // the same rows as last time: said already
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (std::find(last_rejected_.begin(), last_rejected_.end(), now[i]) == last_rejected_.end())
            log::warn("routing.db: row {} rejected: {}", rows[i].id, rows[i].reason);
    last_rejected_ = std::move(now);
}

void control::reload() noexcept {
    if (!watcher_ || !watcher_->poll()) return;
    auto r = routing::load_snapshot(load_, *registry_);
    if (!r) {
        ++stats_.reloads[1 + static_cast<std::size_t>(r.error().kind)];
        if (auto line = watcher_->on_load_failed(r.error()))
            log::error("routing.db: {}; keeping the table in force (v{}, {} backends)", *line,
                       snap_ ? snap_->version : 0, snap_ ? snap_->backends.size() : 0);
        return;
    }
    if (watcher_->on_load_succeeded()) log::info("routing.db readable again");
    ++stats_.reloads[0];
    stats_.rows_rejected = r->rejected.size();
    log_rejected(r->rejected);
    for (const std::string& w : r->warnings)
        log::warn("routing.db: {}", w);
    log::info("routing.db reloaded: v{}, {} backends, {} rows rejected", r->snap->version,
              r->snap->backends.size(), r->rejected.size());
    // The country -> region overrides live in routing.db: rebuild the map, and send it along
    // only if its content changed (workers' lookup caches key on it).
    std::vector<std::string> warnings;
    auto map = build_region_map(*r->snap, cfg_.region_by_continent, warnings);
    for (const std::string& w : warnings)
        log::warn("routing.db: country_regions: {}", w);
    if (region_map_ && map->fingerprint() == region_map_->fingerprint()) map.reset();
    publish(std::move(r->snap), nullptr, std::move(map));
}

void control::reload_geo() noexcept {
    if (!geo_) return;
    geo::reload_status st = geo_->poll();
    switch (st.outcome) {
        case geo::reload_outcome::unchanged:
            return;
        case geo::reload_outcome::reloaded:
            ++stats_.geo_reloads;
            log::info("GeoIP database {} reloaded ({})", geo_->path(),
                      geo_->current()->database_type());
            publish(nullptr, geo_->current(), nullptr);
            return;
        case geo::reload_outcome::failed:
        case geo::reload_outcome::vanished:
            ++stats_.geo_reload_failures;
            log::error(
                "GeoIP database {}: {}; {}", geo_->path(),
                st.error ? geo::describe(*st.error) : std::string(geo::describe(st.outcome)),
                geo_db_ ? "keeping the database in force" : "routing without client locations");
            return;
    }
}

std::shared_ptr<const geo::region_map> control::build_region_map(
    const routing::snapshot& snap, const std::string& by_continent,
    std::vector<std::string>& warnings) {
    geo::region_map_builder b(true);
    for (const routing::country_region& cr : snap.country_regions)
        if (auto ok = b.set_country(cr.first.str(), cr.second.str()); !ok)
            warnings.push_back(fmt::format("{} -> {}: {}", cr.first.str(), cr.second.str(),
                                           geo::describe(ok.error())));
    if (!by_continent.empty())
        if (auto ok = b.set_continents(by_continent); !ok)
            warnings.push_back(fmt::format("--region-by-continent: {}", geo::describe(ok.error())));
    return std::make_shared<const geo::region_map>(b.build());
}

void control::publish(routing::snapshot_ptr snap, std::shared_ptr<const geo::database> db,
                      std::shared_ptr<const geo::region_map> map) noexcept {
    std::uint64_t pub = ++publication_;
    if (snap) {
        if (snap_) retired_.push_back({pub, snap_});
        snap_ = snap;
    }
    if (db) {
        if (geo_db_) retired_.push_back({pub, geo_db_});
        geo_db_ = db;
    }
    if (map) {
        if (region_map_) retired_.push_back({pub, region_map_});
        region_map_ = map;
    }
    for (worker* w : workers_) {
        worker_message m;
        m.what = worker_message::kind::tables;
        m.publication = pub;
        m.snap = snap;
        m.geo_db = db;
        m.region_map = map;
        for (int i = 0; i < 1000 && !w->post(m); ++i)
            usleep(1000);
    }
}

void control::retire() noexcept {
    if (retired_.empty()) return;
    std::uint64_t acked = publication_;
    for (const worker* w : workers_)
        acked = std::min(acked, w->publication());
    // Every worker has taken in publication `acked`: what it replaced is ours alone to free,
    // here, off the workers' loops; and backend ids absent since may give their slots back.
    bool freed = false;
    while (!retired_.empty() && retired_.front().replaced_by <= acked) {
        retired_.pop_front();
        freed = true;
    }
    if (freed && registry_) {
        std::uint64_t version = snap_ ? snap_->version : 0;
        for (const worker* w : workers_)
            version = std::min(version, w->snapshot_version());
        registry_->collect(version);
    }
}

// ---------------------------------------------------------------------------------------------

void control::render_metrics(std::string& out) const {
    std::vector<const worker_metrics*> ws;
    ws.reserve(workers_.size());
    for (const worker* w : workers_)
        ws.push_back(&w->metrics());
    routing_stats rs = stats_;
    rs.retired_snapshots = retired_.size();
    rs.geo_loaded = geo_db_ != nullptr;
    if (bindings_) {
        rs.bindings = bindings_->size();
        rs.binding_evictions = bindings_->evictions();
    }
    process_gauges g;
    g.workers = workers_.size();
    g.draining = draining();
    g.routing = &rs;
    render_prometheus(out, ws, snap_.get(), g);
}

void control::run() noexcept {
    log::set_thread_name("control");
    pollfd fds[3] = {{signal_fd_.get(), POLLIN, 0},
                     {stop_fd_.get(), POLLIN, 0},
                     {admin_ ? admin_->fd() : -1, POLLIN, 0}};
    const auto interval = static_cast<std::uint64_t>(cfg_.reload_interval.count());
    std::uint64_t next_reload = monotonic_coarse_ms() + interval;
    for (;;) {
        std::uint64_t now = monotonic_coarse_ms();
        // Wake at the next reload check, sooner while old snapshots wait to be freed.
        int timeout = next_reload > now ? static_cast<int>(next_reload - now) : 0;
        if (!retired_.empty()) timeout = std::min(timeout, 20);
        int n = ::poll(fds, 3, timeout);
        if (n < 0 && errno != EINTR) {
            log::error("control poll: {}", std::strerror(errno));
            return;
        }
        if (fds[1].revents) return;
        if (fds[0].revents) on_signal();
        if (admin_ && fds[2].revents)
            admin_->serve_ready([this](std::string& out) { render_metrics(out); },
                                [this] { return !draining(); });
        now = monotonic_coarse_ms();
        if (now >= next_reload) {
            next_reload = now + interval;
            if (!draining()) {
                reload();
                reload_geo();
            }
            if (bindings_) bindings_->sweep(now, 4096);
        }
        retire();
    }
}

}  // namespace edge::engine
