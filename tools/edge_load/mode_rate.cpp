// rate: new connections, each one connect → write --send bytes → read --recv bytes (or to EOF) →
// close. Without --source, each connection is one linked chain of SQEs on a direct descriptor
// (socket → connect → send → recv): no syscall of its own, one submission. With --source, the
// socket is made and bound with syscalls first (bind needs a real descriptor).
//
// Slot life: free → active (chain in flight) → the chain's end → close queued → free.
// The chain ends with the last op's completion (success, error or ECANCELED: it cannot run before
// the earlier ones finished), or with the failure completion of a skip-success op (socket, send):
// the kernel then cancels the ops linked after it without posting their completions.
// With --rate, connection k is due at start + k/rate; a connection that starts late because every
// slot was busy still measures from its due time (coordinated omission).

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <utility>
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

constexpr std::uint64_t scan_interval_ns = 20'000'000;
constexpr unsigned batch = 256;

class rate_worker final : public worker {
  public:
    rate_worker(const options& o, control& c, unsigned index, client_stats& st)
        : o_(o),
          c_(c),
          st_(st),
          index_(index),
          nslots_(o.concurrency / o.threads + (index < o.concurrency % o.threads ? 1 : 0)),
          plain_(o.sources.has_value()),
          ring_(ring::options{.sq_entries = 1024,
                              .cq_entries = std::max(4096u, nslots_ * 4),
                              .fixed_files = plain_ ? 0 : nslots_}),
          pool_(ring_, 1, pool_count(nslots_), 16384),
          slots_(nslots_) {
        if (o.count) budget_ = o.count / o.threads + (index < o.count % o.threads ? 1 : 0);
        free_.reserve(nslots_);
        for (unsigned i = nslots_; i-- > 0;)
            free_.push_back(i);
        wants_recv_ = o.recv_until_eof || o.recv_bytes > 0;
    }

    void run() override {
        if (o_.rate > 0) {
            interval_ = 1e9 * o_.threads / o_.rate;
            first_due_ = double(c_.start_ns) + interval_ * index_ / o_.threads;
        }
        std::uint64_t next_scan = c_.start_ns + scan_interval_ns;
        for (;;) {
            now_ = now_ns();
            const bool may_start = !c_.stop.load(std::memory_order_relaxed) &&
                                   now_ < c_.deadline_ns && (budget_ == 0 || started_ < budget_);
            if (may_start) start_due();
            if (!may_start && active_ == 0) break;
            // Connections still open past --timeout after the end are abandoned (and counted):
            // the run stays bounded whatever the target does.
            if (!may_start && drain_until_ == 0)
                drain_until_ = now_ + o_.timeout_ns + 1'000'000'000ull;
            if (drain_until_ != 0 && now_ >= drain_until_) {
                abandon();
                break;
            }
            std::uint64_t wake = std::min(next_scan, c_.deadline_ns);
            if (may_start && interval_ > 0 && !free_.empty()) wake = std::min(wake, due());
            ring_.submit_and_wait(wake > now_ ? wake - now_ : 0);
            now_ = now_ns();
            completion cqes[batch];
            for (unsigned n; (n = ring_.reap(cqes, batch)) > 0;)
                for (unsigned i = 0; i < n; ++i)
                    on_completion(cqes[i]);
            pool_.flush();
            if (now_ >= next_scan) {
                scan_timeouts();
                next_scan = now_ + scan_interval_ns;
            }
        }
        ring_.submit_and_wait(0);  // the last closes: sockets close now, not at ring teardown
        if (interval_ > 0) {       // due starts the run could not make before it ended
            const double end = double(std::min(now_, c_.deadline_ns));
            const double due_total = std::max(0.0, std::ceil((end - first_due_) / interval_));
            const double capped = budget_ ? std::min(due_total, double(budget_)) : due_total;
            missed_ = std::uint64_t(std::max(0.0, capped - double(started_)));
        }
        st_.end_ns.store(now_);
        st_.finished.store(true);
    }

    std::uint64_t missed() const noexcept { return missed_; }

  private:
    struct slot {
        std::uint64_t t0 = 0;
        std::uint64_t deadline = 0;
        std::uint64_t received = 0;
        std::uint32_t gen = 0;
        int fd = -1;  // plain mode only
        bool active = false;
        bool failed = false;
        bool got_first = false;
        bool sent_counted = false;
    };

    static unsigned pool_count(unsigned slots) {
        unsigned n = 256;
        while (n < slots * 2 && n < 8192)
            n *= 2;
        return n;
    }

    std::uint64_t due() const noexcept {
        return std::uint64_t(first_due_ + interval_ * double(started_));
    }

    file_ref file_of(unsigned i) const noexcept {
        return plain_ ? file_ref::plain(slots_[i].fd) : file_ref::direct(i);
    }

    void start_due() {
        while (!free_.empty() && (budget_ == 0 || started_ < budget_)) {
            std::uint64_t t0 = now_;
            if (interval_ > 0) {
                t0 = due();
                if (t0 > now_) break;
            }
            const unsigned i = free_.back();
            free_.pop_back();
            start(i, t0);
        }
    }

    void start(unsigned i, std::uint64_t t0) {
        slot& s = slots_[i];
        s = slot{.t0 = t0, .deadline = now_ + o_.timeout_ns, .gen = s.gen + 1, .active = true};
        ++started_;
        ++active_;
        st_.attempted.add();
        const socket_address& dst = o_.targets[next_target_++ % o_.targets.size()];
        ring_.reserve(4);
        if (plain_) {
            s.fd = open_client_socket(dst, &*o_.sources, global_index(), false);
            if (s.fd < 0) return fail_now(i, std::exchange(s.fd, -1));
        } else {
            ring_.prep_socket_direct(i, dst.family(), make_tag(op::socket, i, s.gen),
                                     sqe_link | sqe_skip_success);
        }
        const file_ref f = file_of(i);
        const bool sends = o_.send_bytes > 0;
        ring_.prep_connect(f, dst.data(), dst.len, make_tag(op::connect, i, s.gen),
                           sends || wants_recv_ ? sqe_link : sqe_none);
        const void* request = o_.send_text ? static_cast<const void*>(o_.send_text->data())
                                           : static_cast<const void*>(pattern_at(0));
        if (sends)
            ring_.prep_send(f, request, o_.send_bytes, make_tag(op::send, i, s.gen),
                            wants_recv_ ? sqe_link | sqe_skip_success : sqe_none);
        if (wants_recv_) ring_.prep_recv(f, pool_.group(), make_tag(op::recv, i, s.gen), sqe_none);
    }

    std::uint64_t global_index() const noexcept { return (started_ - 1) * o_.threads + index_; }

    // A socket that failed before anything was queued for it.
    void fail_now(unsigned i, int err) {
        record_error(slots_[i], err);
        finish(i);
    }

    void record_error(slot& s, int err) {
        if (s.failed) return;
        s.failed = true;
        st_.fail(classify_errno(err), err);
    }

    void on_completion(const completion& c) {
        const op kind = tag_op(c.tag);
        const unsigned i = tag_slot(c.tag);
        if (kind == op::cancel || kind == op::close || i >= nslots_) return;
        slot& s = slots_[i];
        if (!s.active || !is_current(c.tag, s.gen)) {  // stale: the slot moved on
            if (c.has_buffer()) {
                pool_.take(c.buffer_id());
                pool_.give_back(c.buffer_id());
            }
            return;
        }
        const bool sends = o_.send_bytes > 0;
        switch (kind) {
            case op::socket:  // only a failure posts; the rest of the chain then posts nothing
                record_error(s, c.res);
                return finish(i);
            case op::connect:
                if (c.res < 0)
                    record_error(s, c.res);
                else
                    st_.connect.record(now_ - s.t0);
                if (!sends && !wants_recv_) finish(i);
                return;
            case op::send:
                // MSG_WAITALL: fewer bytes than asked is a failure too (the peer went away).
                if (c.res < 0)
                    record_error(s, c.res);
                else if (std::uint64_t(c.res) < o_.send_bytes)
                    record_error(s, -ECONNRESET);
                else
                    count_sent(s);
                // Either the chain's last op, or (skip-success) a failure that ended the chain.
                return finish(i);
            case op::recv:
                on_recv(i, c);
                return;
            default:
                return;
        }
    }

    void count_sent(slot& s) {
        if (s.sent_counted || o_.send_bytes == 0) return;
        s.sent_counted = true;
        st_.bytes_sent.add(o_.send_bytes);
    }

    void on_recv(unsigned i, const completion& c) {
        slot& s = slots_[i];
        if (c.res != -ECANCELED) count_sent(s);  // the linked send succeeded
        if (c.res == -ENOBUFS) {  // every buffer is held for now: ask again after the flush
            ring_.prep_recv(file_of(i), pool_.group(), make_tag(op::recv, i, s.gen), sqe_none);
            return;
        }
        if (c.res < 0) {
            record_error(s, c.res);
            return finish(i);
        }
        if (c.res == 0) {
            if (!o_.recv_until_eof && s.received < o_.recv_bytes && !s.failed) {
                s.failed = true;
                st_.fail(error_kind::short_read);
            }
            return finish(i);
        }
        const std::size_t n = std::size_t(c.res);
        std::byte* data = pool_.take(c.buffer_id());
        if (!s.got_first) {
            s.got_first = true;
            st_.first_byte.record(now_ - s.t0);
        }
        if (!s.failed) {
            const bool too_many = !o_.recv_until_eof && s.received + n > o_.recv_bytes;
            if (too_many || (o_.verify && !pattern_matches(data, n, s.received))) {
                s.failed = true;
                st_.fail(error_kind::wrong_bytes);
            }
        }
        pool_.give_back(c.buffer_id());
        s.received += n;
        st_.bytes_received.add(n);
        if (s.failed || (!o_.recv_until_eof && s.received >= o_.recv_bytes)) return finish(i);
        ring_.prep_recv(file_of(i), pool_.group(), make_tag(op::recv, i, s.gen), sqe_none);
    }

    // The chain's last completion arrived: count, close, and free the slot.
    void finish(unsigned i) {
        slot& s = slots_[i];
        if (!s.failed) {
            st_.completed.add();
            st_.complete.record(now_ - s.t0);
        }
        // Close is issued inline at submit, before any later SQE (such as the next socket into
        // this slot) runs, so the slot may be reused at once; success posts no completion.
        if (!plain_ || s.fd >= 0)
            ring_.prep_close(file_of(i), make_tag(op::close, i, s.gen), sqe_skip_success);
        s.active = false;
        s.fd = -1;
        --active_;
        free_.push_back(i);
    }

    void abandon() {
        for (auto& s : slots_) {
            if (!s.active || s.failed) continue;
            s.failed = true;
            st_.fail(error_kind::timeout);
        }
    }

    void scan_timeouts() {
        for (unsigned i = 0; i < nslots_; ++i) {
            slot& s = slots_[i];
            if (!s.active || now_ < s.deadline) continue;
            if (!s.failed) {
                s.failed = true;
                st_.fail(error_kind::timeout);
            }
            s.deadline = now_ + 1'000'000'000ull;  // retry the cancel if it found nothing
            ring_.prep_cancel(file_of(i), make_tag(op::cancel, i, s.gen));
        }
    }

    const options& o_;
    control& c_;
    client_stats& st_;
    unsigned index_;
    unsigned nslots_;
    bool plain_;
    ring ring_;
    buf_pool pool_;
    std::vector<slot> slots_;
    std::vector<unsigned> free_;
    bool wants_recv_ = false;
    std::uint64_t budget_ = 0;
    std::uint64_t started_ = 0;
    unsigned active_ = 0;
    std::uint64_t now_ = 0;
    std::uint64_t next_target_ = 0;
    double interval_ = 0;
    double first_due_ = 0;
    std::uint64_t missed_ = 0;
    std::uint64_t drain_until_ = 0;
};

}  // namespace

int run_rate(const options& o) {
    raise_nofile(std::uint64_t(o.concurrency) * 2 + 1024);
    std::vector<rate_worker*> workers(o.threads, nullptr);
    client_mode m;
    m.unit = "connections";
    m.make = [&](unsigned i, control& c, client_stats& st) -> std::unique_ptr<worker> {
        auto w = std::make_unique<rate_worker>(o, c, i, st);
        workers[i] = w.get();
        return w;
    };
    m.finish = [&](report& r, const client_totals& t) {
        r.latencies = {
            {"connect", &t.connect}, {"first_byte", &t.first_byte}, {"complete", &t.complete}};
        r.settings.emplace_back("concurrency", std::to_string(o.concurrency));
        r.settings.emplace_back("rate", o.rate > 0 ? fmt::format("{:g}", o.rate) : "max");
        r.settings.emplace_back("send", std::to_string(o.send_bytes));
        if (o.send_text) r.settings.emplace_back("send_text", "yes");
        r.settings.emplace_back("recv", o.recv_until_eof ? "eof" : std::to_string(o.recv_bytes));
        if (o.rate > 0) {
            std::uint64_t missed = 0;
            for (auto* w : workers)
                if (w) missed += w->missed();
            r.figures.emplace_back("missed_starts", double(missed));
        }
        return std::string{};
    };
    return run_client(o, m);
}

}  // namespace edge::load
