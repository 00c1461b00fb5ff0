// bulk: streams moving bytes. Each stream connects (plain socket: it needs shutdown), then
//   up:   sends --bytes, shuts its write side, and waits for the server's EOF (a sink closes
//         after reading everything, so the EOF confirms delivery);
//   down: receives --bytes of the pattern (from `serve --mode source`), then closes;
//   both: sends --bytes and receives them back (from `serve --mode echo`), then EOF.
// Without --bytes, streams move data until --duration ends and are then cut (not an error).
// One send of --chunk bytes is in flight per stream; receives are multishot into the worker's
// buffer pool; every received byte is checked against the pattern at its stream offset.

#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
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
constexpr std::uint64_t scan_interval_ns = 20'000'000;

class bulk_worker final : public worker {
  public:
    bulk_worker(const options& o, control& c, unsigned index, client_stats& st)
        : o_(o),
          c_(c),
          st_(st),
          index_(index),
          nstreams_(o.streams / o.threads + (index < o.streams % o.threads ? 1 : 0)),
          ring_(ring::options{.sq_entries = 512, .cq_entries = 8192, .fixed_files = 0}),
          pool_(ring_, 1, 256, 64 * 1024),
          streams_(nstreams_) {
        const std::uint64_t total = o.count ? o.count : o.streams;
        budget_ = total / o.threads + (index < total % o.threads ? 1 : 0);
        sends_ = o.dir != direction::down;
        recvs_ = o.dir != direction::up;
    }

    ~bulk_worker() override {
        for (auto& s : streams_)
            if (s.fd >= 0) ::close(s.fd);
    }

    void run() override {
        now_ = now_ns();
        for (unsigned i = 0; i < nstreams_ && started_ < budget_; ++i)
            start(i);
        std::uint64_t next_scan = now_ + scan_interval_ns;
        std::uint64_t drain_until = 0;
        while (active_ > 0) {
            // Past the end, streams still open after --timeout are abandoned: a bounded run.
            if (now_ >= c_.deadline_ns || c_.stop.load(std::memory_order_relaxed)) {
                if (drain_until == 0) drain_until = now_ + o_.timeout_ns + 1'000'000'000ull;
                if (now_ >= drain_until) break;
            }
            std::uint64_t wake = std::min(next_scan, c_.deadline_ns);
            ring_.submit_and_wait(wake > now_ ? wake - now_ : 0);
            now_ = now_ns();
            completion cqes[batch];
            for (unsigned n; (n = ring_.reap(cqes, batch)) > 0;)
                for (unsigned i = 0; i < n; ++i)
                    on_completion(cqes[i]);
            pool_.flush();
            if (now_ >= next_scan) {
                scan();
                next_scan = now_ + scan_interval_ns;
            }
        }
        st_.end_ns.store(now_);
        st_.finished.store(true);
    }

  private:
    struct stream {
        int fd = -1;
        std::uint32_t gen = 0;
        bool active = false, connect_busy = false, connected = false, send_busy = false;
        bool recv_armed = false;
        bool write_shut = false, eof = false, done = false, failed = false, cancel_sent = false;
        std::uint64_t sent = 0, received = 0, deadline = 0, t0 = 0;
    };

    bool unlimited() const noexcept { return o_.bytes == 0; }

    void start(unsigned i) {
        stream& s = streams_[i];
        s = stream{.gen = s.gen + 1, .active = true};
        s.t0 = now_;
        s.deadline = now_ + o_.timeout_ns;
        ++started_;
        ++active_;
        st_.attempted.add();
        const std::uint64_t n = (started_ - 1) * o_.threads + index_;
        const socket_address& dst = o_.targets[n % o_.targets.size()];
        s.fd = open_client_socket(dst, o_.sources ? &*o_.sources : nullptr, n, false);
        if (s.fd < 0) {
            const int err = s.fd;
            s.fd = -1;
            return fail(i, classify_errno(err), err);
        }
        s.connect_busy = true;
        ring_.prep_connect(file_ref::plain(s.fd), dst.data(), dst.len,
                           make_tag(op::connect, i, s.gen), sqe_none);
    }

    void on_completion(const completion& c) {
        const op kind = tag_op(c.tag);
        const unsigned i = tag_slot(c.tag);
        if (kind == op::cancel || i >= nstreams_) return;
        stream& s = streams_[i];
        if (!s.active || !is_current(c.tag, s.gen)) {
            if (c.has_buffer()) {
                pool_.take(c.buffer_id());
                pool_.give_back(c.buffer_id());
            }
            return;
        }
        if (kind == op::connect)
            on_connect(i, c.res);
        else if (kind == op::send)
            on_send(i, c.res);
        else if (kind == op::recv)
            on_recv(i, c);
        settle(i);
    }

    void on_connect(unsigned i, int res) {
        stream& s = streams_[i];
        s.connect_busy = false;
        if (res < 0) return fail(i, classify_errno(res), res);
        st_.connect.record(now_ - s.t0);
        s.connected = true;
        s.deadline = UINT64_MAX;  // from here the stream is bounded by --duration only
        arm_recv(i);
        // down sends nothing, and does not half-close either: a proxy may end the relay on it.
        if (sends_) send_more(i);
    }

    void send_more(unsigned i) {
        stream& s = streams_[i];
        if (s.failed || s.done || s.write_shut) return;
        std::uint64_t n = o_.chunk;
        if (!unlimited()) n = std::min(n, o_.bytes - s.sent);
        if (n == 0) {
            ::shutdown(s.fd, SHUT_WR);
            s.write_shut = true;
            return;
        }
        s.send_busy = true;
        ring_.prep_send(file_ref::plain(s.fd), pattern_at(s.sent), n, make_tag(op::send, i, s.gen),
                        sqe_none);
    }

    void on_send(unsigned i, int res) {
        stream& s = streams_[i];
        s.send_busy = false;
        if (res < 0) return fail(i, classify_errno(res), res);
        s.sent += std::uint64_t(res);
        st_.bytes_sent.add(std::uint64_t(res));
        send_more(i);
    }

    void arm_recv(unsigned i) {
        stream& s = streams_[i];
        ring_.prep_recv_multishot(file_ref::plain(s.fd), pool_.group(),
                                  make_tag(op::recv, i, s.gen));
        s.recv_armed = true;
    }

    void on_recv(unsigned i, const completion& c) {
        stream& s = streams_[i];
        if (!c.has_more()) s.recv_armed = false;
        if (c.res == -ENOBUFS) {
            if (!s.failed && !s.done) arm_recv(i);
            return;
        }
        if (c.res == -ECANCELED) return;
        if (c.res < 0) return fail(i, classify_errno(c.res), c.res);
        if (c.res == 0) {
            s.eof = true;
            return;
        }
        auto n = std::uint64_t(c.res);
        std::byte* data = pool_.take(c.buffer_id());
        if (!s.failed && !s.done) {
            // down without --bytes limit on the server: bytes past --bytes are not ours to count.
            std::uint64_t counted = n;
            if (o_.dir == direction::down && !unlimited())
                counted = std::min(n, o_.bytes - std::min(o_.bytes, s.received));
            const bool wrong =
                (o_.dir != direction::down && !unlimited() && s.received + n > o_.bytes) ||
                (o_.dir == direction::up && n > 0) ||
                (o_.verify && !pattern_matches(data, std::size_t(counted), s.received));
            s.received += counted;
            st_.bytes_received.add(counted);
            if (wrong) {
                pool_.give_back(c.buffer_id());
                return fail(i, error_kind::wrong_bytes, 0);
            }
        }
        pool_.give_back(c.buffer_id());
        if (!s.recv_armed && !s.failed && !s.done) arm_recv(i);
    }

    // Decides whether the stream is complete, and closes it once nothing is in flight.
    void settle(unsigned i) {
        stream& s = streams_[i];
        if (!s.failed && !s.done && s.connected) {
            const bool sent_all = !sends_ || (!unlimited() && s.write_shut);
            bool complete = false;
            if (o_.dir == direction::up)
                complete = sent_all && s.eof;
            else if (o_.dir == direction::down)
                complete = (!unlimited() && s.received >= o_.bytes) || (unlimited() && s.eof);
            else
                complete = sent_all && s.received == o_.bytes && s.eof;
            if (complete) {
                s.done = true;
                st_.completed.add();
                st_.complete.record(now_ - s.t0);
            } else if (s.eof && !s.send_busy) {
                return fail(i, error_kind::short_read, 0);
            }
        }
        if (s.failed || s.done) close_when_idle(i);
    }

    void fail(unsigned i, error_kind kind, int err) {
        stream& s = streams_[i];
        if (!s.failed && !s.done) {
            s.failed = true;
            st_.fail(kind, err);
        }
        close_when_idle(i);
    }

    void close_when_idle(unsigned i) {
        stream& s = streams_[i];
        if (!s.active) return;
        if (s.recv_armed || s.send_busy || s.connect_busy) {
            if (!s.cancel_sent) {
                s.cancel_sent = true;
                ring_.prep_cancel(file_ref::plain(s.fd), make_tag(op::cancel, i, s.gen));
            }
            return;
        }
        if (s.fd >= 0) ::close(s.fd);
        s.fd = -1;
        s.active = false;
        --active_;
        if (started_ < budget_ && now_ < c_.deadline_ns && !c_.stop.load()) start(i);
    }

    void scan() {
        const bool over = now_ >= c_.deadline_ns || c_.stop.load(std::memory_order_relaxed);
        for (unsigned i = 0; i < nstreams_; ++i) {
            stream& s = streams_[i];
            if (!s.active || s.failed || s.done) continue;
            if (!s.connected && now_ >= s.deadline) {
                fail(i, error_kind::timeout, 0);
                continue;
            }
            if (!over || !s.connected) continue;
            if (unlimited()) {  // the run's end cuts an open-ended stream: that is its finish
                s.done = true;
                st_.completed.add();
                st_.complete.record(now_ - s.t0);
            } else {
                s.failed = true;
                st_.fail(error_kind::timeout);
            }
            close_when_idle(i);
        }
    }

    const options& o_;
    control& c_;
    client_stats& st_;
    unsigned index_;
    unsigned nstreams_;
    ring ring_;
    buf_pool pool_;
    std::vector<stream> streams_;
    bool sends_ = true, recvs_ = true;
    std::uint64_t budget_ = 0, started_ = 0;
    unsigned active_ = 0;
    std::uint64_t now_ = 0;
};

}  // namespace

int run_bulk(const options& o) {
    raise_nofile(std::uint64_t(o.streams) * 2 + 1024);
    client_mode m;
    m.unit = "streams";
    m.make = [&](unsigned i, control& c, client_stats& st) -> std::unique_ptr<worker> {
        return std::make_unique<bulk_worker>(o, c, i, st);
    };
    m.finish = [&](report& r, const client_totals& t) {
        r.latencies = {{"connect", &t.connect}, {"stream", &t.complete}};
        r.settings.emplace_back("streams", std::to_string(o.streams));
        r.settings.emplace_back("bytes", o.bytes ? std::to_string(o.bytes) : "unlimited");
        r.settings.emplace_back("direction", std::string(direction_name(o.dir)));
        r.settings.emplace_back("chunk", std::to_string(o.chunk));
        const double s = r.elapsed_s > 0 ? r.elapsed_s : 1;
        r.figures.emplace_back("up_GBps", double(t.bytes_sent) / 1e9 / s);
        r.figures.emplace_back("down_GBps", double(t.bytes_received) / 1e9 / s);
        const double gb = double(t.bytes_sent + t.bytes_received) / 1e9;
        if (gb > 0) r.figures.emplace_back("cpu_s_per_GB", (r.cpu.user_s + r.cpu.sys_s) / gb);
        return std::string{};
    };
    return run_client(o, m);
}

}  // namespace edge::load
