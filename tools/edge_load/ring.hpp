#pragma once
// ring: edge-load's own io_uring wrapper, one per worker thread, and the only file of the tool that
// includes liburing.h. Typed prep_* functions stamp the tag; SQEs come from one get_sqe() that
// submits when the SQ is full, so callers that link a chain reserve room first with reserve(n)
// (a link cannot span a submit). Completions are copied out in batches by reap().
// Independent of engine/ on purpose: the load generator must not share the proxy's code paths.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace edge::load {

/// A socket as the ring sees it: a registered (direct) slot, or a plain descriptor.
struct file_ref {
    int value = -1;
    bool fixed = false;
    static file_ref direct(unsigned slot) noexcept { return {int(slot), true}; }
    static file_ref plain(int fd) noexcept { return {fd, false}; }
};

/// SQE flags a caller may ask for.
enum sqe_flags : unsigned {
    sqe_none = 0,
    sqe_link = 1,  // the next SQE starts only when this one succeeds
    // Post a completion only on failure. Kernel rule (REQ_F_SKIP_LINK_CQES): when such an op
    // fails inside a chain, the ops linked after it are cancelled without posting completions,
    // so its failure completion is the chain's last.
    sqe_skip_success = 2,
};

/// One completion, copied out of the CQ.
struct completion {
    std::uint64_t tag;
    std::int32_t res;
    std::uint32_t flags;
    bool has_more() const noexcept;
    bool has_buffer() const noexcept;
    std::uint16_t buffer_id() const noexcept { return std::uint16_t(flags >> 16); }
};

class ring {
  public:
    struct options {
        unsigned sq_entries = 1024;
        unsigned cq_entries = 16384;
        unsigned fixed_files = 0;  // size of the sparse direct-descriptor table (0: none)
    };
    /// Sets up a ring on the calling thread (which becomes its only submitter); throws
    /// std::runtime_error naming the missing kernel feature or the disabled io_uring.
    explicit ring(const options& o);
    ~ring();
    ring(const ring&) = delete;
    ring& operator=(const ring&) = delete;

    /// Makes room for n SQEs in one submission (submits what is queued if needed).
    void reserve(unsigned n);

    void prep_socket_direct(unsigned slot, int domain, std::uint64_t tag, unsigned flags);
    void prep_connect(file_ref f, const sockaddr* a, socklen_t len, std::uint64_t tag,
                      unsigned flags);
    /// A send that completes only when all n bytes are queued, or fails (MSG_WAITALL).
    void prep_send(file_ref f, const void* p, std::size_t n, std::uint64_t tag, unsigned flags);
    /// One receive into a buffer picked from provided-buffer group `group`.
    void prep_recv(file_ref f, std::uint16_t group, std::uint64_t tag, unsigned flags);
    /// A receive that stays armed (IORING_CQE_F_MORE) until EOF, an error or ENOBUFS.
    void prep_recv_multishot(file_ref f, std::uint16_t group, std::uint64_t tag);
    /// A multishot accept whose connections land in free direct-descriptor slots.
    void prep_accept_multishot_direct(int listen_fd, std::uint64_t tag);
    /// A non-blocking MSG_PEEK of one byte: -EAGAIN means the connection is open and quiet.
    void prep_peek(file_ref f, void* byte, std::uint64_t tag);
    void prep_close(file_ref f, std::uint64_t tag, unsigned flags);
    /// Cancels every request in flight on f; its own completion is tagged `tag`.
    void prep_cancel(file_ref f, std::uint64_t tag);

    /// Submits, then waits up to timeout_ns for a completion (0: just collect what is ready).
    void submit_and_wait(std::uint64_t timeout_ns);
    /// Moves up to max completions into out; returns how many.
    unsigned reap(completion* out, unsigned max);

    /// Puts a plain descriptor into direct slot `slot` (the ring takes its own reference, so the
    /// caller may close fd afterwards); returns 0 or a negative errno. A syscall: not per request.
    int register_file(unsigned slot, int fd);

    /// Registers a provided-buffer ring (entries a power of two); returns its mapped memory.
    void* register_buf_ring(std::uint16_t group, unsigned entries);
    void unregister_buf_ring(std::uint16_t group);
    /// Publishes buffers to a registered buffer ring: ids[i] at addrs[i], each `len` bytes.
    static void buf_ring_add(void* br, unsigned entries, void* addr, unsigned len,
                             std::uint16_t bid, unsigned offset) noexcept;
    static void buf_ring_advance(void* br, unsigned count) noexcept;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace edge::load
