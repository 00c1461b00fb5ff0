#pragma once
// The worker's io_uring. This wrapper (ring.cpp) is the only place that builds SQEs: typed prep_*
// functions stamp user_data (engine/op_tag.hpp), get_sqe() flushes when the SQ is full, and
// linked chains reserve their SQEs up front because a link cannot span a submit. Kernel features
// are probed once at start-up into ring_features; raw SQE fields that liburing 2.3 (Debian 12)
// has no helper for are filled in here too.

#include <linux/time_types.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.hpp"

struct io_uring;
struct io_uring_sqe;

namespace edge::engine {

/// What the running kernel's io_uring offers, probed once by probe_ring_features().
struct ring_features {
    unsigned kernel_major = 0;
    unsigned kernel_minor = 0;
    /// IORING_SETUP_DEFER_TASKRUN (6.1): completions run only when the worker asks for them, so
    /// no IPI or task-work interruption lands in the middle of a batch.
    bool defer_taskrun = false;
    /// IORING_RECVSEND_BUNDLE (6.10): one receive CQE can fill several provided buffers.
    bool recv_bundle = false;
    /// io_uring_register_ring_fd (5.18): io_uring_enter skips the fd-table lookup.
    bool registered_ring_fd = false;
};

/// Why io_uring cannot be used, for a start-up error that names the cause.
enum class probe_failure : std::uint8_t {
    disabled_by_sysctl,    // kernel.io_uring_disabled = 2
    restricted_by_sysctl,  // kernel.io_uring_disabled = 1 and we lack the right
    blocked,               // EPERM with io_uring enabled: seccomp or an LSM
    not_built,             // ENOSYS: kernel without io_uring (or seccomp answering ENOSYS)
    kernel_too_old,        // no multishot receive / provided buffer rings (needs 6.0)
    missing_op,            // an opcode we need is not supported
    setup_failed,          // another errno from io_uring_setup
};

struct probe_error {
    probe_failure kind;
    int err = 0;            // errno where one applies
    const char* what = "";  // the missing opcode or feature, a static string
};

/// Probes the kernel once at start-up (main thread). The message of a failure is probe_message().
result<ring_features, probe_error> probe_ring_features() noexcept;
/// One sentence naming what is missing and what to do about it.
const char* probe_message(const probe_error& e) noexcept;

/// A completion, copied out of the CQ so that no liburing type leaks past this file.
struct completion {
    std::uint64_t user_data;
    std::int32_t res;
    std::uint32_t flags;

    // The kernel ABI's CQE flag bits (ring.cpp checks them against liburing's definitions).
    static constexpr std::uint32_t f_buffer = 1u << 0;  // IORING_CQE_F_BUFFER
    static constexpr std::uint32_t f_more = 1u << 1;    // IORING_CQE_F_MORE
    static constexpr unsigned buffer_shift = 16;        // IORING_CQE_BUFFER_SHIFT

    /// The multishot SQE that produced this CQE stays armed.
    bool has_more() const noexcept { return flags & f_more; }
    /// A provided buffer was consumed; buffer_id() names the first one.
    bool has_buffer() const noexcept { return flags & f_buffer; }
    std::uint16_t buffer_id() const noexcept {
        return static_cast<std::uint16_t>(flags >> buffer_shift);
    }
};

/// What a multishot recvmsg put in a provided buffer: the sender's address, the control messages
/// and the payload, located by the kernel's io_uring_recvmsg_out header.
struct recvmsg_view {
    const sockaddr* name = nullptr;
    socklen_t name_len = 0;
    const msghdr* control = nullptr;  // a msghdr whose msg_control/len span the control bytes
    std::uint8_t* payload = nullptr;
    std::uint32_t payload_len = 0;
    std::uint32_t flags = 0;  // MSG_TRUNC, MSG_CTRUNC
};

/// Locates the parts of a multishot recvmsg's buffer (`len` bytes, the CQE's result) received
/// with template `tmpl`; false when the buffer is too short to hold what it claims. `scratch`
/// receives the control msghdr view.
bool parse_recvmsg(void* buf, unsigned len, const msghdr& tmpl, msghdr& scratch,
                   recvmsg_view& out) noexcept;

class ring {
  public:
    struct options {
        unsigned sq_entries = 2048;
        unsigned cq_entries = 16384;
    };

    /// Creates a ring with the probed flags. Worker thread (SINGLE_ISSUER binds the ring to the
    /// thread that first submits, so each worker creates its own).
    static result<ring> create(const options& opts, const ring_features& features) noexcept;

    ring(ring&& o) noexcept;
    ring& operator=(ring&&) = delete;
    ring(const ring&) = delete;
    ~ring();

    // --- SQE preparation. Each may flush the SQ when it is full; none can fail. ---

    /// Multishot accept on a listening socket; CQEs carry new fds until one lacks F_MORE.
    void prep_multishot_accept(int listen_fd, std::uint64_t tag) noexcept;
    /// Accepts exactly one client.
    void prep_accept(int listen_fd, std::uint64_t tag) noexcept;
    /// Multishot receive into buffer group `group`; with `bundle` one CQE may fill several
    /// buffers, at most `max_bytes` in all (0 = the kernel's limit). `poll_first`: wait for
    /// readiness before the first attempt (for a socket known to be empty).
    void prep_recv_multishot(int fd, std::uint16_t group, bool bundle, unsigned max_bytes,
                             bool poll_first, std::uint64_t tag) noexcept;
    /// Sends len bytes (MSG_NOSIGNAL: no SIGPIPE). With `wait_all` (MSG_WAITALL) the kernel
    /// retries short sends itself; without, a short send completes with what it sent, so a send
    /// still pending has sent nothing and may be cancelled without losing track of bytes.
    void prep_send(int fd, const void* buf, std::size_t len, std::uint64_t tag,
                   bool wait_all = true) noexcept;
    /// Sends a gathered message; `msg` and its iovecs must stay valid until the SQE is submitted.
    void prep_sendmsg(int fd, const msghdr* msg, std::uint64_t tag, bool wait_all = true) noexcept;
    /// connect(2) linked to a timeout: two CQEs, one per tag.
    void prep_connect_with_timeout(int fd, const sockaddr* addr, socklen_t len,
                                   const __kernel_timespec* timeout, std::uint64_t tag,
                                   std::uint64_t timeout_tag) noexcept;
    // Cancels and closes post a CQE only when they fail (IOSQE_CQE_SKIP_SUCCESS): what they
    // cancel posts its own completion, which is what the connection waits for.

    /// Cancels the request carrying user_data `target` (every such request with `all`).
    void prep_cancel(std::uint64_t target, std::uint64_t tag, bool all = false) noexcept;
    /// Cancels every request on `fd` (the descriptor stays open).
    void prep_cancel_fd(int fd, std::uint64_t tag) noexcept;
    /// Cancels every request on `fd`, then closes it (hard link: the close runs whatever the
    /// cancel found).
    void prep_cancel_and_close(int fd, std::uint64_t cancel_tag, std::uint64_t close_tag) noexcept;
    /// Closes `fd` through the ring.
    void prep_close(int fd, std::uint64_t tag) noexcept;
    /// read(2) of `len` bytes into `buf` (the worker's eventfd).
    void prep_read(int fd, void* buf, unsigned len, std::uint64_t tag) noexcept;
    /// A one-shot timeout that completes after `ts` (relative).
    void prep_timeout(const __kernel_timespec* ts, std::uint64_t tag) noexcept;
    /// read(2) into a buffer of group `group` (the kernel picks it; the CQE names it): one
    /// packet of a TUN device per completion.
    void prep_read_provided(int fd, std::uint16_t group, unsigned max_len,
                            std::uint64_t tag) noexcept;
    /// write(2) of `len` bytes; `buf` must stay valid until the completion.
    void prep_write(int fd, const void* buf, unsigned len, std::uint64_t tag) noexcept;
    /// Multishot recvmsg into buffers of group `group` (each holds a recvmsg_view: see
    /// parse_recvmsg); `tmpl` gives the name and control lengths wanted and must stay valid
    /// while the receive is armed.
    void prep_recvmsg_multishot(int fd, const msghdr* tmpl, std::uint16_t group,
                                std::uint64_t tag) noexcept;

    // --- Submission and completion. ---

    /// Submits everything prepared and waits until at least one CQE is ready or `timeout_ms`
    /// passes (-1: no limit). Returns 0 or a negated errno (-ETIME/-EINTR are normal).
    int submit_and_wait(int timeout_ms) noexcept;
    /// Submits without waiting.
    int submit() noexcept;
    /// Submits and runs pending completion work without sleeping (a busy-poll step).
    int submit_and_poll() noexcept;
    /// Copies up to out.size() ready CQEs and retires them from the CQ in one step.
    unsigned reap(std::span<completion> out) noexcept;

    /// Registers a provided-buffer ring (memory owned by the caller, page aligned).
    result<void> register_buf_ring(void* ring_mem, unsigned entries, std::uint16_t group) noexcept;
    void unregister_buf_ring(std::uint16_t group) noexcept;

    /// Count of io_uring_enter calls made by submit/submit_and_wait, for metrics.
    std::uint64_t enter_calls() const noexcept { return enter_calls_; }

  private:
    ring() = default;
    io_uring_sqe* get_sqe() noexcept;
    /// Reserves n consecutive SQEs in one submission window (for linked chains).
    void reserve(unsigned n) noexcept;
    io_uring* raw() noexcept;

    // io_uring's state lives here rather than behind a pointer: the struct is ~216 bytes and the
    // ring is touched on every operation. ring.cpp static_asserts the size.
    alignas(8) unsigned char storage_[256];
    bool live_ = false;
    std::uint64_t enter_calls_ = 0;
};

}  // namespace edge::engine
