#include "engine/control/control.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/log.hpp"
#include "engine/codec/utc_time.hpp"
#include "engine/control/status.hpp"
#include "engine/control/status_page.hpp"
#include "engine/control/systemd_notify.hpp"
#include "engine/host/health_metrics.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine {

namespace {

sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    return set;
}

/// How long a full inbox waits before the control thread tries again.
constexpr std::uint64_t outbox_retry_ms = 2;
/// How often, while old tables wait to be freed, the workers' acknowledgements are checked.
constexpr std::uint64_t retire_check_ms = 20;

void log_report_line(const routing::report_line& l) {
    switch (l.level) {
        case routing::report_line::severity::info:
            log::info("{}", l.text);
            return;
        case routing::report_line::severity::warn:
            log::warn("{}", l.text);
            return;
        case routing::report_line::severity::error:
            log::error("{}", l.text);
            return;
    }
}

std::size_t query_number(std::string_view query, std::string_view key, std::size_t fallback) {
    for (std::size_t start = 0; start < query.size();) {
        auto end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        std::string_view item = query.substr(start, end - start);
        if (item.size() > key.size() && item.starts_with(key) && item[key.size()] == '=') {
            std::size_t v = 0;
            auto digits = item.substr(key.size() + 1);
            auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
            if (ec == std::errc() && p == digits.data() + digits.size()) return v;
        }
        start = end + 1;
    }
    return fallback;
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
      health_(s.health),
      admin_(std::move(s.admin)),
      loader_(std::move(s.loader)),
      snap_(std::move(s.snapshot)),
      geo_db_(std::move(s.geo_db)),
      region_map_(std::move(s.region_map)),
      bindings_(s.bindings),
      listener_owner_(s.listener_owner),
      control_sock_(std::move(s.control_sock)),
      argv_(std::move(s.argv)),
      exe_(std::move(s.exe)),
      listeners_(std::move(s.listeners)),
      access_log_(s.access),
      admin_token_(s.admin_token),
      started_ms_(s.started_ms),
      snapshot_loaded_ms_(s.started_ms),
      geo_loaded_ms_(s.started_ms) {
    consumers_ = workers_;
    consumers_.insert(consumers_.end(), s.helpers.begin(), s.helpers.end());
    outbox_.resize(consumers_.size());
    sigset_t set = handled_signals();
    signal_fd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    stop_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    stats_.rows_rejected = s.rows_rejected;
    stats_.geo_loaded = geo_db_ != nullptr;
    if (snap_) acknowledged_version_ = snap_->version;
    if (s.tunnel) {
        s.tunnel->send_to = [this](unsigned i, worker_message m) { send_to(i, std::move(m)); };
        tunnel_ = std::make_unique<tunnel_control>(std::move(*s.tunnel));
    }
}

control::~control() = default;

void control::stop() noexcept {
    std::uint64_t one = 1;
    (void)!::write(stop_fd_.get(), &one, sizeof(one));
}

// ---------------------------------------------------------------------------------------------
// workers' inboxes

void control::broadcast(const worker_message& m) noexcept {
    for (std::size_t i = 0; i < consumers_.size(); ++i)
        outbox_[i].push_back(m);
    flush_outboxes();
}

void control::send_to(unsigned i, worker_message m) noexcept {
    outbox_[i].push_back(std::move(m));
    flush_outboxes();
}

void control::flush_outboxes() noexcept {
    bool left = false;
    for (std::size_t i = 0; i < consumers_.size(); ++i) {
        // The inbox holds 64 messages and a worker empties it on every wake-up: a full one means
        // a busy worker, and the rest waits here, in order, rather than in a sleep.
        while (!outbox_[i].empty() && consumers_[i]->post(outbox_[i].front()))
            outbox_[i].pop_front();
        left |= !outbox_[i].empty();
    }
    if (left && !flush_armed_) {
        flush_armed_ = true;
        reactor_->at(monotonic_coarse_ms() + outbox_retry_ms, [this] {
            flush_armed_ = false;
            flush_outboxes();
        });
    }
}

// ---------------------------------------------------------------------------------------------
// signals

void control::on_signal() noexcept {
    signalfd_siginfo info{};
    while (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
        int sig = static_cast<int>(info.ssi_signo);
        if (sig == SIGUSR1) {
            if (access_log_) {
                log::info("SIGUSR1: reopening the access log");
                access_log_->request_reopen();
            }
            continue;
        }
        if (sig == SIGHUP) {
            log::info("SIGHUP: checking routing.db and the GeoIP file now");
            check_now();
            continue;
        }
        ++signals_seen_;
        if (signals_seen_ == 1 && successor_ != 0) {
            log::info("{}: already draining since pid {} took over; a second signal stops at once",
                      strsignal(sig), successor_);
        } else if (signals_seen_ == 1) {
            log::info("{}: draining, live connections get up to {} ms", strsignal(sig),
                      cfg_.drain_timeout.count());
            systemd_notify("STOPPING=1");
            draining_.store(true, std::memory_order_relaxed);
            broadcast(drain_message{});
        } else {
            log::warn("{} again: stopping now", strsignal(sig));
            broadcast(stop_message{});
        }
    }
}

// ---------------------------------------------------------------------------------------------
// reloads (the loading itself runs on the loader thread)

void control::check_now() noexcept {
    if (!loader_ || draining()) return;
    if (loader_->busy()) {
        check_again_ = true;
        return;
    }
    loader_->request(acknowledged_version_);
}

void control::on_reload_timer() noexcept {
    check_now();
    if (bindings_) bindings_->sweep(monotonic_coarse_ms(), 4096);
    reactor_->at(monotonic_coarse_ms() + static_cast<std::uint64_t>(cfg_.reload_interval.count()),
                 [this] { on_reload_timer(); });
}

void control::on_loader_ready() noexcept {
    auto o = loader_->take();
    if (!o) return;
    const routing::reload_report& r = o->routing;
    switch (r.status) {
        case routing::reload_report::outcome::unchanged:
            break;
        case routing::reload_report::outcome::failed:
            ++stats_.reloads[1 + static_cast<std::size_t>(r.error->kind)];
            for (const routing::report_line& l : r.lines)
                log::error("{}; keeping the table in force (v{}, {} backends)", l.text,
                           snap_ ? snap_->version : 0, snap_ ? snap_->backends.size() : 0);
            break;
        case routing::reload_report::outcome::reloaded:
            for (const routing::report_line& l : r.lines)
                log_report_line(l);
            ++stats_.reloads[0];
            stats_.rows_rejected = r.rows_rejected;
            if (!draining()) publish(r.snap, nullptr, r.region_map);
            if (tunnel_ && r.snap) tunnel_->on_routing(*r.snap);
            break;
    }
    apply_geo(*o);
    if (check_again_) {
        check_again_ = false;
        check_now();
    }
}

void control::apply_geo(const table_loader::outcome& o) noexcept {
    switch (o.geo.outcome) {
        case geo::reload_outcome::unchanged:
            return;
        case geo::reload_outcome::reloaded:
            ++stats_.geo_reloads;
            log::info("GeoIP database {} reloaded ({})", loader_->geo_path(),
                      o.geo_db->database_type());
            if (!draining()) publish(nullptr, o.geo_db, nullptr);
            return;
        case geo::reload_outcome::failed:
        case geo::reload_outcome::vanished:
            ++stats_.geo_reload_failures;
            log::error(
                "GeoIP database {}: {}; {}", loader_->geo_path(),
                o.geo.error ? geo::describe(*o.geo.error)
                            : std::string(geo::describe(o.geo.outcome)),
                geo_db_ ? "keeping the database in force" : "routing without client locations");
            return;
    }
}

void control::publish(routing::snapshot_ptr snap, std::shared_ptr<const geo::database> db,
                      std::shared_ptr<const geo::region_map> map) noexcept {
    std::uint64_t pub = ++publication_;
    if (snap) {
        if (snap_) retired_.push_back({pub, snap_});
        snap_ = snap;
        snapshot_loaded_ms_ = realtime_ms();
        versions_.emplace_back(pub, snap->version);
    }
    if (db) {
        if (geo_db_) retired_.push_back({pub, geo_db_});
        geo_db_ = db;
        geo_loaded_ms_ = realtime_ms();
        stats_.geo_loaded = true;
    }
    if (map) {
        if (region_map_) retired_.push_back({pub, region_map_});
        region_map_ = map;
    }
    broadcast(tables_message{pub, std::move(snap), std::move(db), std::move(map)});
    if (!retire_armed_) {
        retire_armed_ = true;
        reactor_->at(monotonic_coarse_ms() + retire_check_ms, [this] { retire(); });
    }
}

void control::retire() noexcept {
    retire_armed_ = false;
    std::uint64_t acked = publication_;
    for (const worker_core* w : consumers_)
        acked = std::min(acked, w->publication());
    // Every worker has taken in publication `acked`: what it replaced is ours alone to free,
    // here, off the workers' loops; and the registry may reclaim slots of backends gone since.
    while (!retired_.empty() && retired_.front().replaced_by <= acked)
        retired_.pop_front();
    while (!versions_.empty() && versions_.front().first <= acked) {
        acknowledged_version_ = versions_.front().second;
        versions_.pop_front();
    }
    if (!retired_.empty() || !versions_.empty()) {
        retire_armed_ = true;
        reactor_->at(monotonic_coarse_ms() + retire_check_ms, [this] { retire(); });
    }
}

// ---------------------------------------------------------------------------------------------
// restarts: the control socket and listener handover

void control::attach_takeover_server() noexcept {
    if (!control_sock_) return;
    takeover_server::hooks h;
    h.can_hand_over = [this] { return !draining(); };
    h.listeners = [this] { return listener_owner_->handover_view(); };
    h.admin = [this] {
        if (!admin_ || admin_->listening_fd() < 0) return std::make_pair(-1, socket_address{});
        return std::make_pair(admin_->listening_fd(), admin_->address());
    };
    h.bindings = [this]() -> std::optional<result<exported_table, std::string>> {
        if (!bindings_ || !snap_) return std::nullopt;
        return export_bindings(*bindings_, *snap_);
    };
    h.on_released = [this](pid_t successor) { on_handed_over(successor); };
    takeover_ =
        std::make_unique<takeover_server>(std::move(*control_sock_), argv_, exe_, std::move(h));
    control_sock_.reset();
    if (auto ok = takeover_->attach(*reactor_); !ok)
        log::error("control socket {}: {}", takeover_->path(), error_text(ok.error()));
}

void control::on_handed_over(pid_t successor) noexcept {
    successor_ = successor;
    // The sockets live on in the successor: closing ours would not reset anyone, but the
    // workers' drain would take clients queued for the successor; keep them, take none.
    listener_owner_->keep_for_successor();
    if (admin_) admin_->stop_accepting();
    log::info("pid {} accepts on our listeners now: draining, live connections get up to {} ms",
              successor, cfg_.drain_timeout.count());
    draining_.store(true, std::memory_order_relaxed);
    broadcast(drain_message{});
}

// ---------------------------------------------------------------------------------------------
// admin endpoint

void control::render_metrics(const admin_request& req, admin_response& res) const {
    std::vector<const worker_metrics*> ws;
    ws.reserve(workers_.size());
    for (const worker_core* w : workers_)
        ws.push_back(&w->metrics());
    routing_stats rs = stats_;
    rs.retired_snapshots = retired_.size();
    if (bindings_) {
        rs.bindings = bindings_->size();
        rs.binding_evictions = bindings_->evictions();
    }
    process_gauges g;
    g.workers = workers_.size();
    g.draining = draining();
    g.routing = &rs;
    if (takeover_) {
        const takeover_stats& t = takeover_->stats();
        g.takeovers = {t.handed_over, t.failed, t.refused};
    }
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    // Per-backend series are bounded: /metrics carries the first --metrics-max-backends
    // backends, /metrics/backends?offset=N the next page (a 100,000-backend table must not
    // build a 100 MB answer on this thread).
    backend_page page;
    page.limit = cfg_.metrics_max_backends;
    if (req.path == "/metrics/backends") {
        page.offset = query_number(req.query, "offset", 0);
        page.only_backends = true;
    }
    render_prometheus(res.body, ws, snap_.get(), g, page);
    if (health_) render_health_metrics(res.body, *health_, snap_.get(), page);
    if (access_log_ && !page.only_backends) access_log_->render_prometheus(res.body);
    if (tunnel_ && !page.only_backends) tunnel_->render_metrics(res.body);
}

void control::render_status(admin_response& res) const {
    std::vector<const worker_metrics*> ws;
    ws.reserve(workers_.size());
    for (const worker_core* w : workers_)
        ws.push_back(&w->metrics());
    routing_stats rs = stats_;
    if (bindings_) rs.bindings = bindings_->size();
    status_inputs in;
    in.workers = ws;
    in.snap = snap_.get();
    in.snapshot_loaded_ms = snapshot_loaded_ms_;
    in.db_path = cfg_.db_path;
    in.pop_region = cfg_.region;
    in.listeners = listeners_;
    if (admin_) in.admin = admin_->address();
    in.admin_token = admin_token_;
    in.geo = geo_db_.get();
    in.geo_path = cfg_.geoip_path;
    in.geo_loaded_ms = geo_loaded_ms_;
    in.routing = &rs;
    in.access = access_log_;
    in.health = health_;
    in.tunnel = tunnel_.get();
    in.started_ms = started_ms_;
    in.now_ms = realtime_ms();
    in.draining = draining();
    res.content_type = "application/json";
    render_status_json(res.body, in);
}

void control::add_routes() {
    admin_->add_route("/metrics",
                      [this](const admin_request& q, admin_response& s) { render_metrics(q, s); });
    admin_->add_route("/metrics/backends",
                      [this](const admin_request& q, admin_response& s) { render_metrics(q, s); });
    admin_->add_route("/healthz", [this](const admin_request&, admin_response& s) {
        if (draining()) {
            s.status = 503;
            s.body = "draining\n";
        } else {
            s.body = "ok\n";
        }
    });
    admin_->add_route("/status",
                      [this](const admin_request&, admin_response& s) { render_status(s); });
    admin_->add_route("/wg", [this](const admin_request&, admin_response& s) {
        // What `wg show` prints (edgectl wg show reads it).
        s.content_type = "application/json";
        if (tunnel_)
            tunnel_->render_status(s.body);
        else
            s.body = "null\n";
    });
    admin_->add_route("/", [](const admin_request&, admin_response& s) {
        s.content_type = "text/html; charset=utf-8";
        s.body = status_page_html();
        s.extra_headers = fmt::format("Content-Security-Policy: {}\r\n", status_page_csp);
    });
}

void control::run() noexcept {
    log::set_thread_name("control");
    auto r = reactor::create();
    if (!r) {
        log::error("control: epoll: {}", error_text(r.error()));
        return;
    }
    reactor_.emplace(std::move(*r));
    reactor& rx = *reactor_;
    (void)rx.watch(signal_fd_.get(), EPOLLIN, [this](std::uint32_t) { on_signal(); });
    (void)rx.watch(stop_fd_.get(), EPOLLIN, [this](std::uint32_t) { reactor_->stop(); });
    if (loader_)
        (void)rx.watch(loader_->ready_fd(), EPOLLIN, [this](std::uint32_t) { on_loader_ready(); });
    if (admin_) {
        add_routes();
        if (auto ok = admin_->attach(rx); !ok)
            log::error("admin endpoint: {}", error_text(ok.error()));
    }
    if (tunnel_) {
        tunnel_->attach(rx);
        if (snap_) tunnel_->on_routing(*snap_);
    }
    attach_takeover_server();
    rx.at(monotonic_coarse_ms() + static_cast<std::uint64_t>(cfg_.reload_interval.count()),
          [this] { on_reload_timer(); });
    rx.run();
    tunnel_.reset();
    // Before the reactor goes: the admin and control servers unregister from it.
    admin_.reset();
    takeover_.reset();
}

}  // namespace edge::engine
