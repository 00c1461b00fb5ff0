#include "tools/edge_load/ring.hpp"

#include <liburing.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace edge::load {

namespace {

std::string io_uring_disabled_text() {
    std::FILE* f = std::fopen("/proc/sys/kernel/io_uring_disabled", "r");
    int v = -1;
    if (f) {
        if (std::fscanf(f, "%d", &v) != 1) v = -1;
        std::fclose(f);
    }
    if (v > 0) return fmt::format(" (kernel.io_uring_disabled = {})", v);
    return " (io_uring disabled: seccomp, a container policy or kernel.io_uring_disabled)";
}

unsigned sqe_bits(unsigned flags) {
    unsigned bits = 0;
    if (flags & sqe_link) bits |= IOSQE_IO_LINK;
    if (flags & sqe_skip_success) bits |= IOSQE_CQE_SKIP_SUCCESS;
    return bits;
}

}  // namespace

bool completion::has_more() const noexcept {
    return flags & IORING_CQE_F_MORE;
}
bool completion::has_buffer() const noexcept {
    return flags & IORING_CQE_F_BUFFER;
}

struct ring::impl {
    io_uring uring{};
    struct mapping {
        std::uint16_t group;
        void* addr;
        std::size_t size;
    };
    std::vector<mapping> mappings;

    // Returns an SQE for a request on f, with the fixed-file bit and the caller's flags set.
    io_uring_sqe* get_sqe() {
        io_uring_sqe* sqe = io_uring_get_sqe(&uring);
        if (!sqe) {
            io_uring_submit(&uring);
            sqe = io_uring_get_sqe(&uring);
            if (!sqe) std::abort();  // tier 3: the SQ cannot stay full after a submit
        }
        return sqe;
    }
    static void finish(io_uring_sqe* sqe, file_ref f, std::uint64_t tag, unsigned flags) {
        unsigned bits = sqe_bits(flags);
        if (f.fixed) bits |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_flags(sqe, bits);
        sqe->user_data = tag;
    }
};

ring::ring(const options& o) : impl_(std::make_unique<impl>()) {
    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
              IORING_SETUP_DEFER_TASKRUN;
    p.cq_entries = o.cq_entries;
    int rc = io_uring_queue_init_params(o.sq_entries, &impl_->uring, &p);
    if (rc == -EINVAL) {  // kernels before 6.1 lack DEFER_TASKRUN: run without it
        p = io_uring_params{};
        p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
        p.cq_entries = o.cq_entries;
        rc = io_uring_queue_init_params(o.sq_entries, &impl_->uring, &p);
    }
    if (rc == -EPERM || rc == -ENOSYS)
        throw std::runtime_error("cannot create an io_uring" + io_uring_disabled_text());
    if (rc < 0) throw std::runtime_error(fmt::format("io_uring setup: {}", std::strerror(-rc)));
    if (!(p.features & IORING_FEAT_EXT_ARG) || !(p.features & IORING_FEAT_CQE_SKIP)) {
        io_uring_queue_exit(&impl_->uring);
        throw std::runtime_error("io_uring lacks EXT_ARG/CQE_SKIP: kernel 5.17 or newer needed");
    }
    if (io_uring_probe* probe = io_uring_get_probe_ring(&impl_->uring)) {
        const bool ok = io_uring_opcode_supported(probe, IORING_OP_SOCKET) &&
                        io_uring_opcode_supported(probe, IORING_OP_SEND) &&
                        io_uring_opcode_supported(probe, IORING_OP_RECV);
        io_uring_free_probe(probe);
        if (!ok) {
            io_uring_queue_exit(&impl_->uring);
            throw std::runtime_error(
                "io_uring lacks IORING_OP_SOCKET: kernel 5.19 or newer needed");
        }
    }
    (void)io_uring_register_ring_fd(&impl_->uring);  // saves an fget per enter; optional
    if (o.fixed_files) {
        rc = io_uring_register_files_sparse(&impl_->uring, o.fixed_files);
        if (rc < 0) {
            io_uring_queue_exit(&impl_->uring);
            throw std::runtime_error(fmt::format("registering {} direct descriptors: {}",
                                                 o.fixed_files, std::strerror(-rc)));
        }
    }
}

ring::~ring() {
    io_uring_queue_exit(&impl_->uring);
    for (auto& m : impl_->mappings)
        munmap(m.addr, m.size);
}

void ring::reserve(unsigned n) {
    if (io_uring_sq_space_left(&impl_->uring) < n) io_uring_submit(&impl_->uring);
}

void ring::prep_socket_direct(unsigned slot, int domain, std::uint64_t tag, unsigned flags) {
    io_uring_sqe* sqe = impl_->get_sqe();
    io_uring_prep_socket_direct(sqe, domain, SOCK_STREAM, 0, slot, 0);
    impl::finish(sqe, file_ref{}, tag, flags);
}

void ring::prep_connect(file_ref f, const sockaddr* a, socklen_t len, std::uint64_t tag,
                        unsigned flags) {
    io_uring_sqe* sqe = impl_->get_sqe();
    io_uring_prep_connect(sqe, f.value, a, len);
    impl::finish(sqe, f, tag, flags);
}

void ring::prep_send(file_ref f, const void* p, std::size_t n, std::uint64_t tag, unsigned flags) {
    io_uring_sqe* sqe = impl_->get_sqe();
    io_uring_prep_send(sqe, f.value, p, n, MSG_WAITALL | MSG_NOSIGNAL);
    impl::finish(sqe, f, tag, flags);
}

void ring::prep_recv(file_ref f, std::uint16_t group, std::uint64_t tag, unsigned flags) {
    io_uring_sqe* sqe = impl_->get_sqe();
    io_uring_prep_recv(sqe, f.value, nullptr, 0, 0);
    impl::finish(sqe, f, tag, flags);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
}

void ring::prep_recv_multishot(file_ref f, std::uint16_t group, std::uint64_t tag) {
    io_uring_sqe* sqe = impl_->get_sqe();
    io_uring_prep_recv_multishot(sqe, f.value, nullptr, 0, 0);
    impl::finish(sqe, f, tag, sqe_none);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
}

void ring::prep_accept_multishot_direct(int listen_fd, std::uint64_t tag) {
    io_uring_sqe* sqe = impl_->get_sqe();
    io_uring_prep_multishot_accept_direct(sqe, listen_fd, nullptr, nullptr, 0);
    impl::finish(sqe, file_ref::plain(listen_fd), tag, sqe_none);
}

void ring::prep_peek(file_ref f, void* byte, std::uint64_t tag) {
    io_uring_sqe* sqe = impl_->get_sqe();
    io_uring_prep_recv(sqe, f.value, byte, 1, MSG_PEEK | MSG_DONTWAIT);
    impl::finish(sqe, f, tag, sqe_none);
}

int ring::register_file(unsigned slot, int fd) {
    const int rc = io_uring_register_files_update(&impl_->uring, slot, &fd, 1);
    return rc < 0 ? rc : 0;
}

void ring::prep_close(file_ref f, std::uint64_t tag, unsigned flags) {
    io_uring_sqe* sqe = impl_->get_sqe();
    if (f.fixed)
        io_uring_prep_close_direct(sqe, unsigned(f.value));
    else
        io_uring_prep_close(sqe, f.value);
    impl::finish(sqe, file_ref{}, tag, flags);
}

void ring::prep_cancel(file_ref f, std::uint64_t tag) {
    io_uring_sqe* sqe = impl_->get_sqe();
    unsigned cancel_flags = IORING_ASYNC_CANCEL_ALL;
    if (f.fixed) cancel_flags |= IORING_ASYNC_CANCEL_FD_FIXED;
    io_uring_prep_cancel_fd(sqe, f.value, cancel_flags);
    impl::finish(sqe, file_ref{}, tag, sqe_none);
}

void ring::submit_and_wait(std::uint64_t timeout_ns) {
    int rc;
    if (timeout_ns == 0) {
        rc = io_uring_submit_and_get_events(&impl_->uring);
    } else {
        __kernel_timespec ts{};
        ts.tv_sec = (long long)(timeout_ns / 1'000'000'000ull);
        ts.tv_nsec = (long long)(timeout_ns % 1'000'000'000ull);
        io_uring_cqe* cqe = nullptr;
        rc = io_uring_submit_and_wait_timeout(&impl_->uring, &cqe, 1, &ts, nullptr);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
        std::fprintf(stderr, "edge-load: io_uring_enter: %s\n", std::strerror(-rc));
        std::abort();  // tier 3: the ring worked at set-up and cannot fail this way later
    }
}

unsigned ring::reap(completion* out, unsigned max) {
    unsigned n = 0;
    unsigned head;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&impl_->uring, head, cqe) {
        if (n == max) break;
        out[n++] = completion{cqe->user_data, cqe->res, cqe->flags};
    }
    io_uring_cq_advance(&impl_->uring, n);
    return n;
}

void* ring::register_buf_ring(std::uint16_t group, unsigned entries) {
    const std::size_t size = entries * sizeof(io_uring_buf);
    void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED)
        throw std::runtime_error(fmt::format("buffer ring: mmap: {}", std::strerror(errno)));
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(mem);
    reg.ring_entries = entries;
    reg.bgid = group;
    int rc = io_uring_register_buf_ring(&impl_->uring, &reg, 0);
    if (rc < 0) {
        munmap(mem, size);
        throw std::runtime_error(
            fmt::format("registering a provided-buffer ring: {} (kernel 5.19 or newer needed)",
                        std::strerror(-rc)));
    }
    auto* br = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(br);
    impl_->mappings.push_back({group, mem, size});
    return mem;
}

void ring::unregister_buf_ring(std::uint16_t group) {
    (void)io_uring_unregister_buf_ring(&impl_->uring, group);
}

void ring::buf_ring_add(void* br, unsigned entries, void* addr, unsigned len, std::uint16_t bid,
                        unsigned offset) noexcept {
    io_uring_buf_ring_add(static_cast<io_uring_buf_ring*>(br), addr, len, bid,
                          io_uring_buf_ring_mask(entries), int(offset));
}

void ring::buf_ring_advance(void* br, unsigned count) noexcept {
    io_uring_buf_ring_advance(static_cast<io_uring_buf_ring*>(br), int(count));
}

}  // namespace edge::load
