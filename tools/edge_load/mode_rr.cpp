// rr: requests over kept-alive connections. Each worker opens its share of --connections (plain
// sockets with TCP_NODELAY: small writes must not wait for Nagle), then sends --send bytes and
// waits for --recv bytes, one request in flight per connection. With --rate, request k is due at
// start + k/rate and goes out on the next idle connection; its latency counts from the due time,
// so a stalled target shows up as latency instead of as fewer requests (coordinated omission).
// Without --rate every idle connection sends again at once (closed loop).
//
// Connection life: down → connecting → idle ⇄ busy → closing (receive cancelled, then close) →
// down → reconnect after a pause. Each direction carries the pattern from its own offset.

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
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

constexpr std::uint64_t scan_interval_ns = 10'000'000;
constexpr std::uint64_t reconnect_pause_ns = 50'000'000;
constexpr unsigned batch = 256;

class rr_worker final : public worker {
  public:
    rr_worker(const options& o, control& c, unsigned index, client_stats& st)
        : o_(o),
          c_(c),
          st_(st),
          index_(index),
          nconns_(o.connections / o.threads + (index < o.connections % o.threads ? 1 : 0)),
          ring_(ring::options{.sq_entries = 1024, .cq_entries = 8192, .fixed_files = 0}),
          pool_(ring_, 1, 1024, 16384),
          conns_(nconns_) {
        if (o.count) budget_ = o.count / o.threads + (index < o.count % o.threads ? 1 : 0);
        idle_.reserve(nconns_);
    }

    ~rr_worker() override {
        for (auto& k : conns_)
            if (k.fd >= 0) ::close(k.fd);
    }

    void run() override {
        now_ = now_ns();
        for (unsigned i = 0; i < nconns_; ++i)
            connect(i);
        // Set-up: every connection up or failed, bounded by --timeout and the signals.
        const std::uint64_t setup_end = now_ + o_.timeout_ns;
        while (connecting_ > 0 && !c_.stop.load() && now_ < setup_end)
            turn(setup_end);
        st_.setup_done.store(true);
        const std::uint64_t start = now_ns();
        st_.start_ns.store(start);
        const std::uint64_t deadline = o_.duration_ns ? start + o_.duration_ns : UINT64_MAX;
        if (o_.rate > 0) {
            interval_ = 1e9 * o_.threads / o_.rate;
            first_due_ = double(start) + interval_ * index_ / o_.threads;
        }
        std::uint64_t next_scan = now_ + scan_interval_ns;
        for (;;) {
            const bool may_send = !c_.stop.load(std::memory_order_relaxed) && now_ < deadline &&
                                  (budget_ == 0 || sent_ < budget_);
            if (may_send) dispatch();
            if (!may_send && busy_ == 0) break;
            if (may_send && connected_ + connecting_ == 0 && now_ >= retry_at_ && broken_all())
                break;  // nothing can connect: stop instead of spinning through --duration
            std::uint64_t wake = std::min(next_scan, deadline);
            if (may_send && interval_ > 0 && !idle_.empty()) wake = std::min(wake, due());
            turn(wake);
            if (now_ >= next_scan) {
                scan();
                next_scan = now_ + scan_interval_ns;
            }
        }
        if (interval_ > 0) {
            const double end = double(std::min(now_, deadline));
            const double due_total = std::max(0.0, std::ceil((end - first_due_) / interval_));
            const double capped = budget_ ? std::min(due_total, double(budget_)) : due_total;
            missed_ = std::uint64_t(std::max(0.0, capped - double(sent_)));
        }
        st_.end_ns.store(now_);
        st_.finished.store(true);
    }

    std::uint64_t missed() const noexcept { return missed_; }

  private:
    enum class state : std::uint8_t { down, connecting, idle, busy, closing };
    struct conn {
        int fd = -1;
        std::uint32_t gen = 0;
        state st = state::down;
        bool recv_armed = false;
        bool listed = false;  // in idle_ (at most once, so idle_ never grows past its reserve)
        bool got_first = false;
        std::uint64_t t0 = 0, deadline = 0, retry_at = 0;
        std::uint64_t send_off = 0, recv_off = 0, got = 0;
    };

    std::uint64_t due() const noexcept {
        return std::uint64_t(first_due_ + interval_ * double(sent_));
    }

    bool broken_all() const noexcept {
        for (const auto& k : conns_)
            if (k.st != state::down) return false;
        return st_.failed.get() > 0 && refused_only_;
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

    void connect(unsigned i) {
        conn& k = conns_[i];
        const socket_address& dst =
            o_.targets[(std::uint64_t(i) * o_.threads + index_) % o_.targets.size()];
        const source_set* src = o_.sources ? &*o_.sources : nullptr;
        const bool listed = k.listed;  // a stale idle_ entry may still name this slot
        k = conn{.gen = k.gen + 1};
        k.listed = listed;
        k.fd = open_client_socket(dst, src, std::uint64_t(i) * o_.threads + index_, true);
        if (k.fd < 0) {
            st_.fail(classify_errno(k.fd), k.fd);
            k.fd = -1;
            k.retry_at = now_ + reconnect_pause_ns;
            return;
        }
        k.st = state::connecting;
        k.t0 = now_;
        k.deadline = now_ + o_.timeout_ns;
        ++connecting_;
        ring_.prep_connect(file_ref::plain(k.fd), dst.data(), dst.len,
                           make_tag(op::connect, i, k.gen), sqe_none);
    }

    void dispatch() {
        while (!idle_.empty() && (budget_ == 0 || sent_ < budget_)) {
            std::uint64_t t0 = now_;
            if (interval_ > 0) {
                t0 = due();
                if (t0 > now_) break;
            }
            const unsigned i = idle_.back();
            idle_.pop_back();
            conns_[i].listed = false;
            conn& k = conns_[i];
            if (k.st != state::idle) continue;  // closed since it was listed
            k.st = state::busy;
            k.t0 = t0;
            k.got = 0;
            k.got_first = false;
            k.deadline = now_ + o_.timeout_ns;
            ++sent_;
            ++busy_;
            st_.attempted.add();
            st_.bytes_sent.add(o_.send_bytes);
            ring_.prep_send(file_ref::plain(k.fd), pattern_at(k.send_off), o_.send_bytes,
                            make_tag(op::send, i, k.gen), sqe_skip_success);
            k.send_off += o_.send_bytes;
        }
    }

    void on_completion(const completion& c) {
        const op kind = tag_op(c.tag);
        const unsigned i = tag_slot(c.tag);
        if (kind == op::cancel || kind == op::close || i >= nconns_) return;
        conn& k = conns_[i];
        if (!is_current(c.tag, k.gen) || k.st == state::down) {
            if (c.has_buffer()) {
                pool_.take(c.buffer_id());
                pool_.give_back(c.buffer_id());
            }
            return;
        }
        switch (kind) {
            case op::connect:
                return on_connect(i, c.res);
            case op::send:  // only failures post: an error, or a short send (the peer went away)
                return fail_conn(i, classify_errno(c.res < 0 ? c.res : -ECONNRESET), c.res);
            case op::recv:
                return on_recv(i, c);
            default:
                return;
        }
    }

    void on_connect(unsigned i, int res) {
        conn& k = conns_[i];
        --connecting_;
        if (res < 0) {
            if (res != -ECONNREFUSED) refused_only_ = false;
            st_.fail(k.st == state::closing ? error_kind::timeout : classify_errno(res), res);
            ::close(k.fd);
            k.fd = -1;
            k.st = state::down;
            k.retry_at = now_ + reconnect_pause_ns;
            return;
        }
        st_.connect.record(now_ - k.t0);
        ++connected_;
        k.st = state::idle;
        arm_recv(i);
        list_idle(i);
    }

    void list_idle(unsigned i) {
        if (conns_[i].listed) return;
        conns_[i].listed = true;
        idle_.push_back(i);
    }

    void arm_recv(unsigned i) {
        conn& k = conns_[i];
        ring_.prep_recv_multishot(file_ref::plain(k.fd), pool_.group(),
                                  make_tag(op::recv, i, k.gen));
        k.recv_armed = true;
    }

    void on_recv(unsigned i, const completion& c) {
        conn& k = conns_[i];
        if (!c.has_more()) k.recv_armed = false;
        if (c.res == -ENOBUFS) {
            if (k.st != state::closing) arm_recv(i);
            return;
        }
        if (c.res <= 0) {
            if (k.st == state::closing) return maybe_close(i);
            if (c.res == 0) return fail_conn(i, error_kind::short_read, 0);
            return fail_conn(i, classify_errno(c.res), c.res);
        }
        const auto n = std::size_t(c.res);
        std::byte* data = pool_.take(c.buffer_id());
        const bool ok = (!o_.verify || pattern_matches(data, n, k.recv_off)) &&
                        k.st == state::busy && k.got + n <= o_.recv_bytes;
        pool_.give_back(c.buffer_id());
        st_.bytes_received.add(n);
        k.recv_off += n;
        if (k.st == state::closing) return maybe_close(i);
        if (!ok) return fail_conn(i, error_kind::wrong_bytes, 0);
        if (!k.got_first) {
            k.got_first = true;
            st_.first_byte.record(now_ - k.t0);
        }
        k.got += n;
        if (k.got == o_.recv_bytes) {
            st_.completed.add();
            st_.complete.record(now_ - k.t0);
            --busy_;
            k.st = state::idle;
            list_idle(i);
        }
        if (!k.recv_armed) arm_recv(i);
    }

    // A connection broke: count the request (if one was in flight) and close.
    void fail_conn(unsigned i, error_kind kind, int err) {
        conn& k = conns_[i];
        if (k.st == state::closing || k.st == state::down) return;
        if (k.st != state::busy && kind == error_kind::short_read) kind = error_kind::reset;
        st_.fail(kind, err);
        if (k.st == state::busy) --busy_;
        if (k.st == state::idle || k.st == state::busy) --connected_;
        k.st = state::closing;
        if (k.recv_armed) ring_.prep_cancel(file_ref::plain(k.fd), make_tag(op::cancel, i, k.gen));
        maybe_close(i);
    }

    void maybe_close(unsigned i) {
        conn& k = conns_[i];
        if (k.recv_armed) return;
        // The descriptor number may be reused right away: nothing of ours refers to it any more
        // (a send still in flight holds its own reference to the socket).
        ::close(k.fd);
        k.fd = -1;
        k.st = state::down;
        k.retry_at = now_ + reconnect_pause_ns;
    }

    void scan() {
        for (unsigned i = 0; i < nconns_; ++i) {
            conn& k = conns_[i];
            if (k.st == state::busy && now_ >= k.deadline) {
                fail_conn(i, error_kind::timeout, 0);
            } else if (k.st == state::connecting && now_ >= k.deadline) {
                k.st = state::closing;  // on_connect counts it as a timeout
                ring_.prep_cancel(file_ref::plain(k.fd), make_tag(op::cancel, i, k.gen));
                k.deadline = now_ + 1'000'000'000ull;
            } else if (k.st == state::down && now_ >= k.retry_at && !c_.stop.load()) {
                connect(i);
            }
        }
        retry_at_ = now_ + reconnect_pause_ns;
    }

    const options& o_;
    control& c_;
    client_stats& st_;
    unsigned index_;
    unsigned nconns_;
    ring ring_;
    buf_pool pool_;
    std::vector<conn> conns_;
    std::vector<unsigned> idle_;
    std::uint64_t budget_ = 0, sent_ = 0, missed_ = 0;
    unsigned busy_ = 0, connecting_ = 0, connected_ = 0;
    bool refused_only_ = true;
    std::uint64_t now_ = 0, retry_at_ = 0;
    double interval_ = 0, first_due_ = 0;
};

}  // namespace

int run_rr(const options& o) {
    raise_nofile(std::uint64_t(o.connections) * 2 + 1024);
    std::vector<rr_worker*> workers(o.threads, nullptr);
    client_mode m;
    m.unit = "requests";
    m.make = [&](unsigned i, control& c, client_stats& st) -> std::unique_ptr<worker> {
        auto w = std::make_unique<rr_worker>(o, c, i, st);
        workers[i] = w.get();
        return w;
    };
    m.finish = [&](report& r, const client_totals& t) {
        r.latencies = {
            {"request", &t.complete}, {"first_byte", &t.first_byte}, {"connect", &t.connect}};
        r.settings.emplace_back("connections", std::to_string(o.connections));
        r.settings.emplace_back("rate", o.rate > 0 ? fmt::format("{:g}", o.rate) : "max");
        r.settings.emplace_back("send", std::to_string(o.send_bytes));
        r.settings.emplace_back("recv", std::to_string(o.recv_bytes));
        if (o.rate > 0) {
            std::uint64_t missed = 0;
            for (auto* w : workers)
                if (w) missed += w->missed();
            r.figures.emplace_back("missed_requests", double(missed));
        }
        return std::string{};
    };
    return run_client(o, m);
}

}  // namespace edge::load
