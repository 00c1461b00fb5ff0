// The io_uring wrapper: set-up, the start-up probe, SQE preparation, submission and reaping.
// The only file that builds SQEs (see ring.hpp for the rules).

#include "engine/uring/ring.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "base/unique_fd.hpp"

// Fields and flags newer than Debian 12's liburing 2.3 headers; values are the kernel ABI.
#ifndef IORING_RECVSEND_BUNDLE
#define IORING_RECVSEND_BUNDLE (1U << 4)
#endif
#ifndef IORING_FEAT_RECVSEND_BUNDLE
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14)
#endif

namespace edge::engine {

static_assert(sizeof(io_uring) <= 256, "ring::storage_ too small for struct io_uring");
static_assert(completion::f_buffer == IORING_CQE_F_BUFFER);
static_assert(completion::f_more == IORING_CQE_F_MORE);
static_assert(completion::buffer_shift == IORING_CQE_BUFFER_SHIFT);

namespace {

[[noreturn]] void fatal(const char* what, int err) {
    // Tier 3 of the error policy: after a good probe this cannot happen.
    std::fprintf(stderr, "edgeproxy: fatal: %s: %s (%s:%d)\n", what, std::strerror(err), __FILE__,
                 __LINE__);
    std::abort();
}

int read_io_uring_disabled() {
    int fd = ::open("/proc/sys/kernel/io_uring_disabled", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;  // older kernels have no such switch
    char c = '0';
    if (::read(fd, &c, 1) != 1) c = '0';
    ::close(fd);
    return c - '0';
}

void kernel_version(unsigned& major, unsigned& minor) {
    utsname u{};
    major = minor = 0;
    if (uname(&u) == 0) std::sscanf(u.release, "%u.%u", &major, &minor);
}

constexpr unsigned setup_flags(bool defer_taskrun) {
    // SUBMIT_ALL: one SQE failing at prep must not drop the rest of the batch.
    // DEFER_TASKRUN: completion work runs only inside our io_uring_enter(GETEVENTS), in batches,
    // instead of interrupting the worker; it requires SINGLE_ISSUER, which we honour anyway
    // (each ring is used by the one worker that created it).
    unsigned f = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
    if (defer_taskrun)
        f |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    else
        f |= IORING_SETUP_COOP_TASKRUN;
    return f;
}

probe_error failure_for_setup_errno(int err) {
    if (err == EPERM || err == EACCES) {
        int disabled = read_io_uring_disabled();
        if (disabled == 2) return {probe_failure::disabled_by_sysctl, err, "io_uring_setup"};
        if (disabled == 1) return {probe_failure::restricted_by_sysctl, err, "io_uring_setup"};
        return {probe_failure::blocked, err, "io_uring_setup"};
    }
    if (err == ENOSYS) return {probe_failure::not_built, err, "io_uring_setup"};
    return {probe_failure::setup_failed, err, "io_uring_setup"};
}

// Arms a multishot bundle receive with a per-CQE cap on a socketpair and checks the kernel
// accepts it: the cap (sqe->len on a multishot receive) is newer than bundles themselves.
bool probe_recv_bundle(io_uring* r) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return false;
    unique_fd a(sv[0]), b(sv[1]);
    constexpr unsigned entries = 8, size = 64;
    std::size_t map_len = 4096 + entries * size;
    void* mem = mmap(nullptr, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return false;
    auto* br = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(br);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<unsigned long>(mem);
    reg.ring_entries = entries;
    reg.bgid = 7;
    bool ok = false;
    if (io_uring_register_buf_ring(r, &reg, 0) == 0) {
        auto* bufs = static_cast<char*>(mem) + 4096;
        for (unsigned i = 0; i < entries; ++i)
            io_uring_buf_ring_add(br, bufs + i * size, size, static_cast<unsigned short>(i),
                                  io_uring_buf_ring_mask(entries), static_cast<int>(i));
        io_uring_buf_ring_advance(br, entries);
        io_uring_sqe* sqe = io_uring_get_sqe(r);
        io_uring_prep_recv_multishot(sqe, a.get(), nullptr, 2 * size, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = 7;
        sqe->ioprio |= IORING_RECVSEND_BUNDLE;
        sqe->user_data = 1;
        (void)!::write(b.get(), "probe", 5);
        io_uring_cqe* cqe = nullptr;
        if (io_uring_submit_and_wait(r, 1) >= 0 && io_uring_peek_cqe(r, &cqe) == 0) {
            ok = cqe->res == 5;
            io_uring_cqe_seen(r, cqe);
        }
        // Closing the socket ends the multishot receive; collect its last CQE.
        a.reset();
        b.reset();
        io_uring_sqe* c = io_uring_get_sqe(r);
        io_uring_prep_cancel64(c, 1, IORING_ASYNC_CANCEL_ALL);
        c->user_data = 2;
        io_uring_submit_and_wait(r, 1);
        unsigned head, seen = 0;
        io_uring_for_each_cqe(r, head, cqe) {
            ++seen;
        }
        io_uring_cq_advance(r, seen);
        io_uring_unregister_buf_ring(r, 7);
    }
    munmap(mem, map_len);
    return ok;
}

}  // namespace

result<ring_features, probe_error> probe_ring_features() noexcept {
    ring_features f;
    kernel_version(f.kernel_major, f.kernel_minor);

    io_uring r;
    io_uring_params p{};
    p.cq_entries = 64;
    p.flags = setup_flags(true);
    int rc = io_uring_queue_init_params(8, &r, &p);
    if (rc == -EINVAL) {  // before 6.1: no DEFER_TASKRUN
        p = io_uring_params{};
        p.cq_entries = 64;
        p.flags = setup_flags(false);
        rc = io_uring_queue_init_params(8, &r, &p);
    } else if (rc == 0) {
        f.defer_taskrun = true;
    }
    if (rc < 0) return unexpected(failure_for_setup_errno(-rc));

    probe_error missing{probe_failure::missing_op, 0, nullptr};
    if (io_uring_probe* probe = io_uring_get_probe_ring(&r)) {
        struct need {
            int op;
            const char* name;
        };
        static constexpr need needed[] = {
            {IORING_OP_ACCEPT, "IORING_OP_ACCEPT"},
            {IORING_OP_RECV, "IORING_OP_RECV"},
            {IORING_OP_SEND, "IORING_OP_SEND"},
            {IORING_OP_SENDMSG, "IORING_OP_SENDMSG"},
            {IORING_OP_CONNECT, "IORING_OP_CONNECT"},
            {IORING_OP_LINK_TIMEOUT, "IORING_OP_LINK_TIMEOUT"},
            {IORING_OP_ASYNC_CANCEL, "IORING_OP_ASYNC_CANCEL"},
            {IORING_OP_CLOSE, "IORING_OP_CLOSE"},
            {IORING_OP_READ, "IORING_OP_READ"},
            {IORING_OP_TIMEOUT, "IORING_OP_TIMEOUT"},
        };
        for (const need& n : needed)
            if (!io_uring_opcode_supported(probe, n.op)) {
                missing.what = n.name;
                break;
            }
        io_uring_free_probe(probe);
    } else {
        missing.what = "IORING_REGISTER_PROBE";
    }
    if (missing.what == nullptr) {
        // Multishot receive and provided-buffer rings arrived in 6.0; probe rather than trust
        // the version alone, since distributions backport.
        if (f.kernel_major < 6)
            missing = {probe_failure::kernel_too_old, 0,
                       "multishot receive with provided buffer rings (Linux 6.0)"};
    }
    if (missing.what == nullptr) {
        f.registered_ring_fd = io_uring_register_ring_fd(&r) >= 0;
        if (p.features & IORING_FEAT_RECVSEND_BUNDLE) f.recv_bundle = probe_recv_bundle(&r);
    }
    io_uring_queue_exit(&r);
    if (missing.what != nullptr) return unexpected(missing);
    return f;
}

const char* probe_message(const probe_error& e) noexcept {
    switch (e.kind) {
        case probe_failure::disabled_by_sysctl:
            return "io_uring is disabled on this host (sysctl kernel.io_uring_disabled=2); set it "
                   "to 0 to run edgeproxy";
        case probe_failure::restricted_by_sysctl:
            return "io_uring is restricted on this host (sysctl kernel.io_uring_disabled=1): run "
                   "edgeproxy with CAP_SYS_ADMIN or in the group kernel.io_uring_group names, or "
                   "set the sysctl to 0";
        case probe_failure::blocked:
            return "io_uring_setup was refused with EPERM although io_uring is enabled: a seccomp "
                   "filter (container runtime default profile?) or a security module blocks it; "
                   "allow io_uring_setup, io_uring_enter and io_uring_register";
        case probe_failure::not_built:
            return "io_uring_setup returned ENOSYS: the kernel lacks io_uring (CONFIG_IO_URING) "
                   "or a seccomp filter hides it";
        case probe_failure::kernel_too_old:
            return "the kernel is too old: edgeproxy needs Linux 6.0 or later (multishot receive "
                   "with provided buffer rings)";
        case probe_failure::missing_op:
            return "the kernel's io_uring lacks an operation edgeproxy needs (named above); "
                   "Linux 6.0 or later has them all";
        case probe_failure::setup_failed:
            return "io_uring_setup failed (see the error above); check RLIMIT_MEMLOCK and memory";
    }
    return "io_uring is unavailable";
}

result<ring> ring::create(const options& opts, const ring_features& features) noexcept {
    ring rg;
    io_uring_params p{};
    p.flags = setup_flags(features.defer_taskrun);
    p.cq_entries = opts.cq_entries;
    int rc = io_uring_queue_init_params(opts.sq_entries, rg.raw(), &p);
    if (rc < 0) return unexpected(std::errc(-rc));
    rg.live_ = true;
    if (features.registered_ring_fd) (void)io_uring_register_ring_fd(rg.raw());
    return rg;
}

ring::ring(ring&& o) noexcept : live_(o.live_), enter_calls_(o.enter_calls_) {
    // io_uring holds pointers into its own mmaps, not into itself, so a byte copy moves it.
    std::memcpy(storage_, o.storage_, sizeof(storage_));
    o.live_ = false;
}

ring::~ring() {
    if (live_) io_uring_queue_exit(raw());
}

io_uring* ring::raw() noexcept {
    return std::launder(reinterpret_cast<io_uring*>(storage_));
}

io_uring_sqe* ring::get_sqe() noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(raw());
    if (sqe == nullptr) {
        // SQ full: hand what is prepared to the kernel now and take a fresh entry.
        int rc = io_uring_submit(raw());
        ++enter_calls_;
        if (rc < 0 && rc != -EBUSY && rc != -EAGAIN) fatal("io_uring_submit", -rc);
        sqe = io_uring_get_sqe(raw());
        if (sqe == nullptr) fatal("io_uring_get_sqe after submit", EBUSY);
    }
    return sqe;
}

void ring::reserve(unsigned n) noexcept {
    if (io_uring_sq_space_left(raw()) < n) {
        int rc = io_uring_submit(raw());
        ++enter_calls_;
        if (rc < 0 && rc != -EBUSY && rc != -EAGAIN) fatal("io_uring_submit", -rc);
    }
}

void ring::prep_multishot_accept(int listen_fd, std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_multishot_accept(sqe, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    sqe->user_data = tag;
}

void ring::prep_accept(int listen_fd, std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_accept(sqe, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    sqe->user_data = tag;
}

void ring::prep_recv_multishot(int fd, std::uint16_t group, bool bundle, unsigned max_bytes,
                               bool poll_first, std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    // Before bundles, a multishot receive must have len 0; with them it caps one CQE's bytes.
    io_uring_prep_recv_multishot(sqe, fd, nullptr, bundle ? max_bytes : 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
    if (bundle) sqe->ioprio |= IORING_RECVSEND_BUNDLE;
    if (poll_first) sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
    sqe->user_data = tag;
}

void ring::prep_send(int fd, const void* buf, std::size_t len, std::uint64_t tag,
                     bool wait_all) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_send(sqe, fd, buf, len, MSG_NOSIGNAL | (wait_all ? MSG_WAITALL : 0));
    sqe->user_data = tag;
}

void ring::prep_sendmsg(int fd, const msghdr* msg, std::uint64_t tag, bool wait_all) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_sendmsg(sqe, fd, msg, MSG_NOSIGNAL | (wait_all ? MSG_WAITALL : 0));
    sqe->user_data = tag;
}

void ring::prep_connect_with_timeout(int fd, const sockaddr* addr, socklen_t len,
                                     const __kernel_timespec* timeout, std::uint64_t tag,
                                     std::uint64_t timeout_tag) noexcept {
    reserve(2);
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_connect(sqe, fd, addr, len);
    sqe->flags |= IOSQE_IO_LINK;
    sqe->user_data = tag;
    io_uring_sqe* t = get_sqe();
    io_uring_prep_link_timeout(t, const_cast<__kernel_timespec*>(timeout), 0);
    t->user_data = timeout_tag;
}

void ring::prep_cancel(std::uint64_t target, std::uint64_t tag, bool all) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_cancel64(sqe, target, all ? IORING_ASYNC_CANCEL_ALL : 0);
    // Only a failure (nothing to cancel) posts a CQE; the cancelled request posts its own.
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = tag;
}

void ring::prep_cancel_fd(int fd, std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = tag;
}

void ring::prep_cancel_and_close(int fd, std::uint64_t cancel_tag,
                                 std::uint64_t close_tag) noexcept {
    reserve(2);
    io_uring_sqe* c = get_sqe();
    io_uring_prep_cancel_fd(c, fd, IORING_ASYNC_CANCEL_ALL);
    c->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
    c->user_data = cancel_tag;
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_close(sqe, fd);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = close_tag;
}

void ring::prep_close(int fd, std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_close(sqe, fd);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = tag;
}

void ring::prep_read(int fd, void* buf, unsigned len, std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_read(sqe, fd, buf, len, 0);
    sqe->user_data = tag;
}

void ring::prep_timeout(const __kernel_timespec* ts, std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_timeout(sqe, const_cast<__kernel_timespec*>(ts), 0, 0);
    sqe->user_data = tag;
}

void ring::prep_read_provided(int fd, std::uint16_t group, unsigned max_len,
                              std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_read(sqe, fd, nullptr, max_len, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
    sqe->user_data = tag;
}

void ring::prep_write(int fd, const void* buf, unsigned len, std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_write(sqe, fd, buf, len, 0);
    sqe->user_data = tag;
}

void ring::prep_recvmsg_multishot(int fd, const msghdr* tmpl, std::uint16_t group,
                                  std::uint64_t tag) noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_recvmsg_multishot(sqe, fd, const_cast<msghdr*>(tmpl), 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
    sqe->user_data = tag;
}

bool parse_recvmsg(void* buf, unsigned len, const msghdr& tmpl, msghdr& scratch,
                   recvmsg_view& out) noexcept {
    scratch = tmpl;
    io_uring_recvmsg_out* o = io_uring_recvmsg_validate(buf, static_cast<int>(len), &scratch);
    if (o == nullptr) return false;
    std::size_t header = sizeof(io_uring_recvmsg_out) + tmpl.msg_namelen + tmpl.msg_controllen;
    if (header > len || o->payloadlen > len - header) return false;
    out.name = static_cast<const sockaddr*>(io_uring_recvmsg_name(o));
    out.name_len = o->namelen;
    // The kernel lays the buffer out by the template's lengths (the space reserved), whatever
    // this datagram used of them.
    out.payload = static_cast<std::uint8_t*>(io_uring_recvmsg_payload(o, &scratch));
    scratch.msg_control = static_cast<unsigned char*>(io_uring_recvmsg_name(o)) + tmpl.msg_namelen;
    scratch.msg_controllen = o->controllen;
    out.control = &scratch;
    out.payload_len = o->payloadlen;
    out.flags = o->flags;
    return true;
}

int ring::submit_and_wait(int timeout_ms) noexcept {
    ++enter_calls_;
    if (timeout_ms < 0) {
        int rc = io_uring_submit_and_wait(raw(), 1);
        return rc < 0 ? rc : 0;
    }
    __kernel_timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_submit_and_wait_timeout(raw(), &cqe, 1, &ts, nullptr);
    return rc < 0 ? rc : 0;
}

int ring::submit_and_poll() noexcept {
    ++enter_calls_;
    int rc = io_uring_submit_and_get_events(raw());
    return rc < 0 ? rc : 0;
}

int ring::submit() noexcept {
    ++enter_calls_;
    int rc = io_uring_submit(raw());
    return rc < 0 ? rc : 0;
}

unsigned ring::reap(std::span<completion> out) noexcept {
    io_uring_cqe* cqes[256];
    unsigned want = static_cast<unsigned>(std::min<std::size_t>(out.size(), 256));
    unsigned n = io_uring_peek_batch_cqe(raw(), cqes, want);
    for (unsigned i = 0; i < n; ++i)
        out[i] = completion{cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
    io_uring_cq_advance(raw(), n);
    return n;
}

result<void> ring::register_buf_ring(void* ring_mem, unsigned entries,
                                     std::uint16_t group) noexcept {
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<unsigned long>(ring_mem);
    reg.ring_entries = entries;
    reg.bgid = group;
    int rc = io_uring_register_buf_ring(raw(), &reg, 0);
    if (rc < 0) return unexpected(std::errc(-rc));
    return {};
}

void ring::unregister_buf_ring(std::uint16_t group) noexcept {
    (void)io_uring_unregister_buf_ring(raw(), group);
}

}  // namespace edge::engine
