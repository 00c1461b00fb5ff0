// hold: open --connections connections and keep them idle for --hold, to measure what a proxy
// spends per idle connection. Each socket is made with syscalls (bound with
// IP_BIND_ADDRESS_NO_PORT to source addresses spread over 127.0.0.0/8 for a loopback target, so
// 100,000 connections do not run out of the ~28k ephemeral ports one source address has per
// target), then moved into a direct-descriptor slot of the worker's ring and its fd closed: held
// connections use no descriptors, so RLIMIT_NOFILE (whose hard limit an unprivileged process
// cannot raise) bounds each worker's table, not the total. Each connection is one linked
// chain connect → [send --send bytes] → [receive until --recv bytes, e.g. a backend's banner, to
// prove the proxy reached the backend]; at most --concurrency chains are in flight.
//
// Phases: set-up (every worker opens its share) → main sees all workers set up, prints
// "holding N" on stdout and sets control.hold_until → hold → each established socket is checked
// with a non-blocking MSG_PEEK (EAGAIN: still alive; 0 or an error: lost) → close all.

#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "tools/edge_load/buf_pool.hpp"
#include "tools/edge_load/client_run.hpp"
#include "tools/edge_load/client_socket.hpp"
#include "tools/edge_load/modes.hpp"
#include "tools/edge_load/op_tag.hpp"
#include "tools/edge_load/pattern.hpp"
#include "tools/edge_load/ring.hpp"
#include "tools/edge_load/sys.hpp"

namespace edge::load {

namespace {

constexpr unsigned batch = 256;
constexpr std::uint64_t scan_interval_ns = 100'000'000;

class hold_worker final : public worker {
  public:
    hold_worker(const options& o, control& c, unsigned index, client_stats& st,
                const source_set* sources)
        : o_(o),
          c_(c),
          st_(st),
          index_(index),
          sources_(sources),
          n_(o.connections / o.threads + (index < o.connections % o.threads ? 1 : 0)),
          ring_(ring::options{.sq_entries = 1024, .cq_entries = 16384, .fixed_files = n_}),
          pool_(ring_, 1, 1024, 4096),
          conns_(n_) {}

    void run() override {
        now_ = now_ns();
        const std::uint64_t start = now_;
        if (o_.rate > 0) interval_ = 1e9 * o_.threads / o_.rate;
        std::uint64_t next_scan = now_ + scan_interval_ns;
        // Set-up.
        while (!stopping() && (next_ < n_ || in_flight_ > 0)) {
            open_due(start);
            std::uint64_t wake = next_scan;
            if (interval_ > 0 && next_ < n_)
                wake = std::min(wake, start + std::uint64_t(interval_ * double(next_)));
            turn(wake);
            if (now_ >= next_scan) {
                scan();
                next_scan = now_ + scan_interval_ns;
            }
        }
        setup_s_ = double(now_ - start) / 1e9;
        st_.setup_done.store(true);
        // Hold: until main sets the end (once every worker is set up) and it passes.
        for (;;) {
            const std::uint64_t until = c_.hold_until.load();
            if (stopping() || (until != 0 && now_ >= until)) break;
            const std::uint64_t wake =
                until != 0 ? std::min(until, now_ + scan_interval_ns) : now_ + scan_interval_ns;
            turn(wake);
        }
        // Survivors: one non-blocking peek per established connection, through the ring.
        for (unsigned i = 0; i < n_; ++i) {
            conn& k = conns_[i];
            if (!k.established) continue;
            k.gen += 1;
            k.in_flight = true;
            ++in_flight_;
            ring_.prep_peek(file_ref::direct(i), &peek_byte_, make_tag(op::recv, i, k.gen));
        }
        checking_ = true;
        const std::uint64_t check_end = now_ + o_.timeout_ns;
        while (in_flight_ > 0 && now_ < check_end)
            turn(check_end);
        // Close through the ring now: at ring teardown the kernel would close them later, from a
        // work queue, and a backend's count taken right after the run would still see them open.
        for (unsigned i = 0; i < n_; ++i)
            if (conns_[i].established)
                ring_.prep_close(file_ref::direct(i), make_tag(op::close, i, 0), sqe_skip_success);
        ring_.submit_and_wait(0);
        st_.end_ns.store(now_ns());
        st_.finished.store(true);
    }

    std::uint64_t alive() const noexcept { return alive_; }
    double setup_s() const noexcept { return setup_s_; }

  private:
    struct conn {
        std::uint32_t gen = 0;
        bool in_flight = false, established = false, failed = false;
        std::uint64_t t0 = 0, deadline = 0, received = 0;
    };

    bool stopping() const noexcept {
        return c_.stop.load(std::memory_order_relaxed) || now_ >= c_.deadline_ns;
    }

    void turn(std::uint64_t wake) {
        ring_.submit_and_wait(wake > now_ ? wake - now_ : 0);
        now_ = now_ns();
        completion cqes[batch];
        for (unsigned n; (n = ring_.reap(cqes, batch)) > 0;)
            for (unsigned i = 0; i < n; ++i)
                on_completion(cqes[i]);
        pool_.flush();
    }

    void open_due(std::uint64_t start) {
        while (next_ < n_ && in_flight_ < std::max(1u, o_.concurrency / o_.threads)) {
            if (interval_ > 0 && start + std::uint64_t(interval_ * double(next_)) > now_) break;
            open(next_++);
        }
    }

    void open(unsigned i) {
        conn& k = conns_[i];
        const std::uint64_t global = std::uint64_t(i) * o_.threads + index_;
        const socket_address& dst = o_.targets[global % o_.targets.size()];
        st_.attempted.add();
        k.gen += 1;
        const int fd = open_client_socket(dst, sources_, global, false);
        const int rc = fd < 0 ? fd : ring_.register_file(i, fd);
        if (fd >= 0) ::close(fd);  // the ring holds the socket now
        if (rc < 0) {
            st_.fail(classify_errno(rc), rc);
            k.failed = true;
            return;
        }
        k.t0 = now_;
        k.deadline = now_ + o_.timeout_ns;
        k.in_flight = true;
        ++in_flight_;
        const file_ref f = file_ref::direct(i);
        const bool sends = o_.send_bytes > 0;
        const bool recvs = o_.recv_bytes > 0;
        ring_.reserve(3);
        ring_.prep_connect(f, dst.data(), dst.len, make_tag(op::connect, i, k.gen),
                           sends || recvs ? sqe_link : sqe_none);
        if (sends)
            ring_.prep_send(f, pattern_at(0), o_.send_bytes, make_tag(op::send, i, k.gen),
                            recvs ? sqe_link | sqe_skip_success : sqe_none);
        if (recvs) ring_.prep_recv(f, pool_.group(), make_tag(op::recv, i, k.gen), sqe_none);
    }

    void on_completion(const completion& c) {
        const op kind = tag_op(c.tag);
        const unsigned i = tag_slot(c.tag);
        if (c.has_buffer()) {  // only the banner's length matters here, not its bytes
            pool_.take(c.buffer_id());
            pool_.give_back(c.buffer_id());
        }
        if (kind == op::cancel || kind == op::close || i >= n_) return;
        conn& k = conns_[i];
        if (!k.in_flight || !is_current(c.tag, k.gen)) return;
        if (checking_) return on_peek(i, c.res);
        const file_ref f = file_ref::direct(i);
        const bool sends = o_.send_bytes > 0;
        const bool recvs = o_.recv_bytes > 0;
        // A skip-success send posts only when it fails, and then the linked recv posts nothing:
        // either way its completion ends the chain.
        const bool last =
            kind == op::recv || kind == op::send || (kind == op::connect && !sends && !recvs);
        // A send's completion is a failure: an error, or (MSG_WAITALL) a short send.
        const int res = kind == op::send && c.res >= 0 && std::uint64_t(c.res) < o_.send_bytes
                            ? -ECONNRESET
                            : c.res;
        if (res < 0 && !k.failed) {
            k.failed = true;
            st_.fail(res == -ECANCELED ? error_kind::timeout : classify_errno(res), res);
        }
        if (kind == op::connect && c.res >= 0) st_.connect.record(now_ - k.t0);
        if (kind == op::recv && c.res == 0 && !k.failed) {
            k.failed = true;
            st_.fail(error_kind::short_read);
        }
        if (kind == op::recv && c.res > 0 && !k.failed) {
            k.received += std::uint64_t(c.res);
            st_.bytes_received.add(std::uint64_t(c.res));
            if (k.received < o_.recv_bytes) {  // more to come: keep the chain's last op going
                ring_.prep_recv(f, pool_.group(), make_tag(op::recv, i, k.gen), sqe_none);
                return;
            }
            if (k.received > o_.recv_bytes) {
                k.failed = true;
                st_.fail(error_kind::wrong_bytes);
            }
        }
        if (!last) return;
        k.in_flight = false;
        --in_flight_;
        if (k.failed) {
            ring_.prep_close(f, make_tag(op::close, i, k.gen), sqe_skip_success);
            return;
        }
        if (sends) st_.bytes_sent.add(o_.send_bytes);
        k.established = true;
        st_.completed.add();
        st_.first_byte.record(now_ - k.t0);
    }

    void scan() {
        for (unsigned i = 0; i < n_; ++i) {
            conn& k = conns_[i];
            if (!k.in_flight || now_ < k.deadline) continue;
            k.deadline = now_ + 1'000'000'000ull;
            ring_.prep_cancel(file_ref::direct(i), make_tag(op::cancel, i, k.gen));
        }
    }

    // EAGAIN: open and quiet. 0 (EOF) or an error: the connection was lost during the hold.
    void on_peek(unsigned i, int res) {
        conn& k = conns_[i];
        k.in_flight = false;
        --in_flight_;
        if (res == -EAGAIN || res > 0) ++alive_;
    }

    const options& o_;
    control& c_;
    client_stats& st_;
    unsigned index_;
    const source_set* sources_;
    unsigned n_;
    ring ring_;
    buf_pool pool_;
    std::vector<conn> conns_;
    unsigned next_ = 0, in_flight_ = 0;
    bool checking_ = false;
    char peek_byte_ = 0;
    double interval_ = 0;
    std::uint64_t now_ = 0, alive_ = 0;
    double setup_s_ = 0;
};

// Loopback targets get 127.1.0.1 and up as sources, one per 1,000 connections (at least 4):
// the kernel's ephemeral port search gets slow well before a source's ~28k ports are used up
// (15,000 connections from one source cost 74 us of CPU each here, from 100 sources 11 us).
std::optional<source_set> default_sources(const options& o) {
    if (o.sources) return o.sources;
    if (o.sources_disabled) return std::nullopt;
    for (const auto& t : o.targets)
        if (t.family() != AF_INET || !t.is_loopback()) return std::nullopt;
    const auto n = std::max<std::uint32_t>(4, std::uint32_t(o.connections / 1000 + 1));
    return source_set::ipv4_run((127u << 24) | (1u << 16) | 1u, n);
}

}  // namespace

int run_hold(const options& o) {
    // A ring's direct-descriptor table may not exceed RLIMIT_NOFILE: each worker holds its share.
    const std::uint64_t limit = raise_nofile(std::uint64_t(o.connections) / o.threads + 1024);
    const std::uint64_t share = (std::uint64_t(o.connections) + o.threads - 1) / o.threads;
    if (share + 64 > limit)
        throw std::runtime_error(
            fmt::format("{} connections per thread exceed RLIMIT_NOFILE {} (the hard limit needs "
                        "CAP_SYS_RESOURCE to raise): use --threads {} or more",
                        share, limit, (o.connections + (limit - 64) - 1) / (limit - 64)));
    const std::optional<source_set> sources = default_sources(o);
    std::vector<hold_worker*> workers(o.threads, nullptr);
    std::vector<client_stats*> stats(o.threads, nullptr);
    control* ctl = nullptr;
    std::uint64_t hold_started = 0;
    client_mode m;
    m.unit = "connections";
    m.make = [&](unsigned i, control& c, client_stats& st) -> std::unique_ptr<worker> {
        auto w = std::make_unique<hold_worker>(o, c, i, st, sources ? &*sources : nullptr);
        workers[i] = w.get();
        stats[i] = &st;
        ctl = &c;
        return w;
    };
    m.tick = [&](std::uint64_t now, const client_totals& t) {
        if (!ctl || hold_started) return;
        for (auto* s : stats)
            if (!s || !s->setup_done.load()) return;
        hold_started = now;
        ctl->hold_until.store(now + o.hold_ns);
        // Scripts wait for this line before sampling the proxy's memory.
        fmt::print("holding {} connections of {} for {:g} s\n", t.completed, o.connections,
                   double(o.hold_ns) / 1e9);
        std::fflush(stdout);
    };
    m.finish = [&](report& r, const client_totals& t) {
        std::uint64_t alive = 0;
        double setup = 0;
        for (auto* w : workers) {
            if (!w) continue;
            alive += w->alive();
            setup = std::max(setup, w->setup_s());
        }
        r.latencies = {{"connect", &t.connect}, {"established", &t.first_byte}};
        r.settings.emplace_back("connections", std::to_string(o.connections));
        r.settings.emplace_back("hold_s", fmt::format("{:g}", double(o.hold_ns) / 1e9));
        r.settings.emplace_back("sources", sources ? std::to_string(sources->size()) : "none");
        r.figures.emplace_back("established", double(t.completed));
        r.figures.emplace_back("alive_at_end", double(alive));
        r.figures.emplace_back("lost", double(t.completed - alive));
        r.figures.emplace_back("setup_s", setup);
        const std::uint64_t lost = t.completed - alive;
        if (lost > o.max_errors)
            return fmt::format("{} of {} established connections lost during the hold", lost,
                               t.completed);
        return std::string{};
    };
    return run_client(o, m);
}

}  // namespace edge::load
