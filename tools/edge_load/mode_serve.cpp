// serve: edge-load's own backend. Each worker owns one SO_REUSEPORT listener per --listen address
// (all bound by main before any worker starts, so port 0 resolves once and the printed address is
// ready to use), accepts with multishot accept into direct descriptors, and keeps one multishot
// receive armed per connection on a shared provided-buffer ring.
//
// Connection life: accepted → [banner sent] → mode (echo: each received buffer is sent back and
// returned to the pool when its send completes; sink: count and drop; source: send the pattern
// until --bytes or the peer goes; reply: --reply bytes per --request bytes received) → the peer's
// EOF (or an error; with --close-after-reply, the first reply sent) → the receive is cancelled if
// still armed → sends drain → close.
// One send is in flight per connection, so bytes leave in order. --reset sets SO_LINGER {1, 0} on
// the listener, which accepted sockets inherit, and closes each connection at once: an RST.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "base/unique_fd.hpp"
#include "tools/edge_load/buf_pool.hpp"
#include "tools/edge_load/driver.hpp"
#include "tools/edge_load/modes.hpp"
#include "tools/edge_load/op_tag.hpp"
#include "tools/edge_load/pattern.hpp"
#include "tools/edge_load/ring.hpp"
#include "tools/edge_load/stats.hpp"
#include "tools/edge_load/sys.hpp"

namespace edge::load {

namespace {

constexpr std::uint16_t no_buf = 0xFFFF;
constexpr unsigned pool_buffers = 512;
constexpr unsigned pool_buffer_size = 64 * 1024;
constexpr std::uint64_t unlimited = UINT64_MAX;
constexpr std::uint64_t send_chunk = 256 * 1024;

/// What a serve worker counts (single writer, relaxed readers: see stats.hpp).
struct serve_stats {
    counter accepted, closed, bytes_received, bytes_sent, resets_sent, errors, accept_errors;
};

class serve_worker final : public worker {
  public:
    serve_worker(const options& o, control& c, std::vector<int> listeners, unsigned table,
                 serve_stats& st)
        : o_(o),
          c_(c),
          st_(st),
          listeners_(std::move(listeners)),
          table_(table),
          ring_(ring::options{.sq_entries = 1024, .cq_entries = 32768, .fixed_files = table}),
          pool_(ring_, 1, pool_buffers, pool_buffer_size),
          conns_(table),
          next_(pool_buffers, no_buf),
          len_(pool_buffers, 0) {
        stalled_.reserve(table);
        if (o.banner) banner_ = *o.banner + "\n";
        accept_armed_.assign(listeners_.size(), false);
    }

    void run() override {
        for (bool last = false; !last;) {
            now_ = now_ns();
            // One more non-blocking turn after the stop, so that closes already queued by the
            // kernel (a client's FIN just before SIGTERM) are in the final counts.
            last = c_.stop.load(std::memory_order_relaxed) || now_ >= c_.deadline_ns;
            if (!last) arm_accepts();
            ring_.submit_and_wait(
                last ? 0 : std::min<std::uint64_t>(50'000'000, c_.deadline_ns - now_));
            completion cqes[256];
            for (unsigned n; (n = ring_.reap(cqes, 256)) > 0;)
                for (unsigned i = 0; i < n; ++i)
                    on_completion(cqes[i]);
            pool_.flush();
            if (!stalled_.empty() && pool_.in_use() < pool_.count() / 2) rearm_stalled();
        }
        ring_.submit_and_wait(0);  // the closes that last turn queued
    }

  private:
    struct conn {
        std::uint64_t in_total = 0;   // bytes received
        std::uint64_t out_total = 0;  // pattern bytes sent (the banner is not counted)
        std::uint64_t owed = 0;       // reply/source: bytes still to send
        std::uint32_t gen = 0;
        std::uint32_t sending = 0;                       // bytes of the send in flight
        std::uint16_t q_head = no_buf, q_tail = no_buf;  // echo: buffers waiting to go back
        bool open = false, recv_armed = false, send_busy = false, eof = false;
        bool closing = false, cancel_sent = false, banner_pending = false, sending_banner = false;
        bool stalled =
            false;  // in stalled_ (at most once: the vector never grows past its reserve)
    };

    void arm_accepts() {
        for (std::size_t l = 0; l < listeners_.size(); ++l) {
            if (accept_armed_[l]) continue;
            ring_.prep_accept_multishot_direct(listeners_[l], make_tag(op::accept, unsigned(l), 0));
            accept_armed_[l] = true;
        }
    }

    void on_completion(const completion& c) {
        const op kind = tag_op(c.tag);
        const unsigned i = tag_slot(c.tag);
        if (kind == op::accept) return on_accept(i, c);
        if (kind == op::cancel || kind == op::close || i >= table_) return;
        conn& k = conns_[i];
        if (!k.open || !is_current(c.tag, k.gen)) {
            if (c.has_buffer()) {
                pool_.take(c.buffer_id());
                pool_.give_back(c.buffer_id());
            }
            return;
        }
        if (kind == op::recv)
            on_recv(i, c);
        else if (kind == op::send)
            on_send(i, c);
    }

    void on_accept(unsigned listener, const completion& c) {
        if (!c.has_more()) accept_armed_[listener] = false;  // re-armed on the next loop turn
        if (c.res < 0) {
            if (c.res != -ECANCELED) st_.accept_errors.add();
            return;
        }
        const unsigned i = unsigned(c.res);
        if (i >= table_) return;  // cannot happen: the kernel allocates inside the table
        conn& k = conns_[i];
        const bool stalled = k.stalled;  // a stale stalled_ entry may still name this slot
        k = conn{.gen = k.gen + 1, .open = true};
        k.stalled = stalled;
        st_.accepted.add();
        if (o_.reset) {  // SO_LINGER {1, 0} inherited from the listener: this close sends RST
            st_.resets_sent.add();
            return really_close(i);
        }
        if (o_.smode == serve_mode::source) k.owed = o_.source_limit ? o_.source_limit : unlimited;
        if (o_.smode == serve_mode::reply && o_.request_size == 0) k.owed = o_.reply_size;
        k.banner_pending = !banner_.empty();
        arm_recv(i);
        pump(i);
    }

    void arm_recv(unsigned i) {
        conn& k = conns_[i];
        ring_.prep_recv_multishot(file_ref::direct(i), pool_.group(), make_tag(op::recv, i, k.gen));
        k.recv_armed = true;
    }

    void on_recv(unsigned i, const completion& c) {
        conn& k = conns_[i];
        if (!c.has_more()) k.recv_armed = false;
        if (c.res == -ENOBUFS) {
            if (!k.closing && !k.stalled) {
                k.stalled = true;
                stalled_.push_back(i);
            }
            return;
        }
        if (c.res <= 0) {
            if (c.res < 0 && c.res != -ECANCELED) st_.errors.add();
            // A source keeps sending after the peer's EOF (a half-close); its sends end it.
            k.eof = true;
            if (c.res < 0) k.closing = true;
            return pump(i);
        }
        const auto n = std::uint32_t(c.res);
        const std::uint16_t bid = c.buffer_id();
        pool_.take(bid);
        st_.bytes_received.add(n);
        const std::uint64_t before = k.in_total;
        k.in_total += n;
        switch (o_.smode) {
            case serve_mode::echo:
                if (k.closing) {
                    pool_.give_back(bid);
                    break;
                }
                len_[bid] = n;
                next_[bid] = no_buf;
                if (k.q_tail == no_buf)
                    k.q_head = bid;
                else
                    next_[k.q_tail] = bid;
                k.q_tail = bid;
                break;
            case serve_mode::reply:
                pool_.give_back(bid);
                if (o_.request_size > 0)
                    k.owed +=
                        (k.in_total / o_.request_size - before / o_.request_size) * o_.reply_size;
                break;
            default:
                pool_.give_back(bid);
                break;
        }
        if (!k.recv_armed && !k.closing) arm_recv(i);
        pump(i);
    }

    void on_send(unsigned i, const completion& c) {
        conn& k = conns_[i];
        k.send_busy = false;
        if (c.res < 0) {
            if (c.res != -ECANCELED && o_.smode != serve_mode::source) st_.errors.add();
            k.closing = true;
        } else {
            st_.bytes_sent.add(std::uint64_t(c.res));
        }
        if (k.sending_banner) {
            k.sending_banner = false;
            k.banner_pending = false;
        } else if (o_.smode == serve_mode::echo) {
            const std::uint16_t bid = k.q_head;
            k.q_head = next_[bid];
            if (k.q_head == no_buf) k.q_tail = no_buf;
            pool_.give_back(bid);
        } else if (c.res > 0) {
            k.out_total += std::uint64_t(c.res);
            k.owed -= std::min<std::uint64_t>(k.owed, std::uint64_t(c.res));
        }
        pump(i);
    }

    // Starts the next send if none is in flight, or closes when nothing is left to do.
    void pump(unsigned i) {
        conn& k = conns_[i];
        if (k.send_busy) return;
        if (!k.closing) {
            const file_ref f = file_ref::direct(i);
            const std::uint64_t tag = make_tag(op::send, i, k.gen);
            if (k.banner_pending) {
                k.send_busy = k.sending_banner = true;
                return ring_.prep_send(f, banner_.data(), banner_.size(), tag, sqe_none);
            }
            if (o_.smode == serve_mode::echo && k.q_head != no_buf) {
                k.send_busy = true;
                return ring_.prep_send(f, pool_.data(k.q_head), len_[k.q_head], tag, sqe_none);
            }
            if (k.owed > 0 && (o_.smode == serve_mode::reply || o_.smode == serve_mode::source)) {
                const auto n = std::uint32_t(std::min(k.owed, send_chunk));
                k.send_busy = true;
                return ring_.prep_send(f, pattern_at(k.out_total), n, tag, sqe_none);
            }
            const bool source_done = o_.smode == serve_mode::source && k.owed == 0;
            // --close-after-reply: the server closes first, as an HTTP/1.0 server does.
            const bool replied = o_.close_after_reply && k.owed == 0 && k.out_total > 0;
            if (!k.eof && !source_done && !replied) return;  // wait for more input
            k.closing = true;
        }
        if (k.recv_armed) {
            if (!k.cancel_sent) {
                k.cancel_sent = true;
                ring_.prep_cancel(file_ref::direct(i), make_tag(op::cancel, i, k.gen));
            }
            return;
        }
        really_close(i);
    }

    void really_close(unsigned i) {
        conn& k = conns_[i];
        while (k.q_head != no_buf) {
            const std::uint16_t bid = k.q_head;
            k.q_head = next_[bid];
            pool_.give_back(bid);
        }
        k.q_tail = no_buf;
        k.open = false;
        // Success posts nothing; the slot returns to the kernel's allocator for the next accept.
        ring_.prep_close(file_ref::direct(i), make_tag(op::close, i, k.gen), sqe_skip_success);
        st_.closed.add();
    }

    void rearm_stalled() {
        for (unsigned i : stalled_) {
            conn& k = conns_[i];
            k.stalled = false;
            if (k.open && !k.closing && !k.eof && !k.recv_armed) arm_recv(i);
        }
        stalled_.clear();
    }

    const options& o_;
    control& c_;
    serve_stats& st_;
    std::vector<int> listeners_;
    std::vector<bool> accept_armed_;
    unsigned table_;
    ring ring_;
    buf_pool pool_;
    std::vector<conn> conns_;
    std::vector<std::uint16_t> next_;  // echo queues: next buffer id after this one
    std::vector<std::uint32_t> len_;   // echo queues: bytes held in this buffer
    std::vector<unsigned> stalled_;    // connections whose receive stopped on ENOBUFS
    std::string banner_;
    std::uint64_t now_ = 0;
};

unique_fd make_listener(const socket_address& at, const options& o) {
    auto fd = unique_fd::from_syscall(::socket(at.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw std::runtime_error(fmt::format("socket: {}", error_text(fd.error())));
    const int one = 1;
    setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd->get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    // Accepted sockets inherit both: replies are never held back by Nagle, and --reset closes
    // with an RST.
    setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o.reset) {
        const linger l{1, 0};
        setsockopt(fd->get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    if (at.family() == AF_INET6) setsockopt(fd->get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd->get(), at.data(), at.len) != 0)
        throw std::runtime_error(fmt::format("bind {}: {}", to_string(at), std::strerror(errno)));
    if (::listen(fd->get(), int(o.backlog)) != 0)
        throw std::runtime_error(fmt::format("listen {}: {}", to_string(at), std::strerror(errno)));
    return std::move(*fd);
}

struct serve_totals {
    std::uint64_t accepted = 0, closed = 0, bytes_received = 0, bytes_sent = 0;
    std::uint64_t resets_sent = 0, errors = 0, accept_errors = 0;
};

serve_totals sum(const std::vector<std::unique_ptr<serve_stats>>& all) {
    serve_totals t;
    for (const auto& s : all) {
        t.accepted += s->accepted.get();
        t.closed += s->closed.get();
        t.bytes_received += s->bytes_received.get();
        t.bytes_sent += s->bytes_sent.get();
        t.resets_sent += s->resets_sent.get();
        t.errors += s->errors.get();
        t.accept_errors += s->accept_errors.get();
    }
    return t;
}

std::string stats_json(const options& o, const std::vector<std::string>& listen,
                       const serve_totals& t, double elapsed, cpu_times cpu, bool final_) {
    const nlohmann::ordered_json j = {{"tool", "edge-load"},
                                      {"mode", "serve"},
                                      {"serve_mode", serve_mode_name(o.smode)},
                                      {"listen", listen},
                                      {"threads", o.threads},
                                      {"final", final_},
                                      {"close_after_reply", o.close_after_reply},
                                      {"elapsed_s", elapsed},
                                      {"connections", t.accepted},
                                      {"closed", t.closed},
                                      {"active", t.accepted - std::min(t.accepted, t.closed)},
                                      {"bytes_received", t.bytes_received},
                                      {"bytes_sent", t.bytes_sent},
                                      {"resets_sent", t.resets_sent},
                                      {"errors", t.errors},
                                      {"accept_errors", t.accept_errors},
                                      {"cpu", {{"user_s", cpu.user_s}, {"sys_s", cpu.sys_s}}}};
    return j.dump() + "\n";
}

}  // namespace

int run_serve(const options& o) {
    // Accepted connections live in direct descriptors, which use no fds; but each ring's table
    // may not exceed RLIMIT_NOFILE (the hard limit needs CAP_SYS_RESOURCE to raise), so more
    // --threads is how one serve process holds more connections than that.
    const std::uint64_t limit = raise_nofile(131072 + 1024);
    const auto table = unsigned(std::min<std::uint64_t>(131072, limit - 256));

    std::vector<std::vector<unique_fd>> per_thread(o.threads);
    std::vector<std::string> bound;
    for (const socket_address& want : o.listen) {
        socket_address at = want;
        for (unsigned t = 0; t < o.threads; ++t) {
            unique_fd fd = make_listener(at, o);
            if (t == 0) at = local_address_of(fd.get());  // port 0 → the port the kernel chose
            per_thread[t].push_back(std::move(fd));
        }
        bound.push_back(to_string(at));
        fmt::print("listening {}\n", to_string(at));
    }
    std::fflush(stdout);

    control c;
    std::vector<std::unique_ptr<serve_stats>> stats;
    for (unsigned i = 0; i < o.threads; ++i)
        stats.push_back(std::make_unique<serve_stats>());
    std::vector<std::unique_ptr<worker>> workers;
    const cpu_times cpu0 = process_cpu();
    auto cpu_now = [&] {
        cpu_times t = process_cpu();
        return cpu_times{t.user_s - cpu0.user_s, t.sys_s - cpu0.sys_s};
    };
    driver_hooks hooks;
    hooks.progress_line = [&](std::uint64_t now) {
        serve_totals t = sum(stats);
        return fmt::format(
            "[{:6.1f}s] serve {} connections {} active {}  received {} MiB  sent {} MiB",
            double(now - c.start_ns) / 1e9, serve_mode_name(o.smode), t.accepted,
            t.accepted - std::min(t.accepted, t.closed), t.bytes_received >> 20,
            t.bytes_sent >> 20);
    };
    hooks.on_usr1 = [&] {
        if (o.stats_path.empty()) return;
        write_file_atomically(o.stats_path,
                              stats_json(o, bound, sum(stats), double(now_ns() - c.start_ns) / 1e9,
                                         cpu_now(), false));
    };
    run_workers(
        o, c,
        [&](unsigned i) -> std::unique_ptr<worker> {
            std::vector<int> fds;
            for (auto& fd : per_thread[i])
                fds.push_back(fd.get());
            return std::make_unique<serve_worker>(o, c, std::move(fds), table, *stats[i]);
        },
        workers, hooks);
    const double elapsed = double(now_ns() - c.start_ns) / 1e9;
    workers.clear();  // rings go first: their pending accepts hold the listeners
    const serve_totals t = sum(stats);
    fmt::print(
        "served connections {}  closed {}  bytes_received {}  bytes_sent {}  resets_sent {}  "
        "errors {}  accept_errors {}\n",
        t.accepted, t.closed, t.bytes_received, t.bytes_sent, t.resets_sent, t.errors,
        t.accept_errors);
    std::fflush(stdout);
    if (!o.stats_path.empty())
        write_file_atomically(o.stats_path, stats_json(o, bound, t, elapsed, cpu_now(), true));
    return 0;
}

}  // namespace edge::load
