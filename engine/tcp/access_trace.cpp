// Each connection's access log record, filled as the connection goes (accept → location →
// backend → connect → end) into a per-slot record that only --access-log touches, and copied
// into the worker's ring when its last operation has finished. Copies of plain data only: no
// formatting, no allocation, no syscall, no lock (engine/access_log/access_log.hpp).

#include <algorithm>
#include <cstring>

#include "engine/tcp/tcp_proxy.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine {

void tcp_proxy::trace_accept(std::uint32_t slot, std::uint16_t listener) noexcept {
    access_record& r = trace_[slot];
    r = access_record{};
    r.accept_ns = monotonic_ns();
    r.listener = listener;
}

void tcp_proxy::trace_overload(std::uint16_t listener) noexcept {
    // No slot to trace in: the record is written straight into the ring, without the client's
    // address (finding it would cost a syscall on a worker that is already full).
    access_record* r = log_ring_->claim();
    if (r == nullptr) return;
    *r = access_record{};
    r->accept_ns = r->end_ns = monotonic_ns();
    r->listener = listener;
    r->end = termination::overload;
    log_ring_->publish();
}

void tcp_proxy::trace_location(std::uint32_t slot, const geo::location& where) noexcept {
    access_record& r = trace_[slot];
    r.country = where.country;
    r.region = where.region;
}

void tcp_proxy::trace_backend(std::uint32_t slot, const routing::backend& b) noexcept {
    access_record& r = trace_[slot];
    std::size_t n = std::min(b.id.size(), sizeof(r.backend_id));
    std::memcpy(r.backend_id, b.id.data(), n);
    r.id_length = static_cast<std::uint8_t>(n);
    r.id_cut = n < b.id.size();
    r.backend = b.address;
}

void tcp_proxy::trace_connected(std::uint32_t slot, std::uint64_t micros) noexcept {
    trace_[slot].connect_us =
        static_cast<std::uint32_t>(std::clamp<std::uint64_t>(micros, 1, UINT32_MAX));
}

void tcp_proxy::trace_connect_failed(std::uint32_t slot, bool timed_out) noexcept {
    // Kept if every attempt fails: the client is then refused with connect_failed, and the
    // record says whether the last attempt was refused or timed out.
    trace_[slot].end = timed_out ? termination::connect_timeout : termination::connect_failed;
}

void tcp_proxy::trace_end(std::uint32_t slot, termination t) noexcept {
    access_record& r = trace_[slot];
    if (t == termination::connect_failed && r.end == termination::connect_timeout) return;
    r.end = t;
}

void tcp_proxy::trace_finish(std::uint32_t slot, const conn& cn) noexcept {
    access_record* out = log_ring_->claim();
    if (out == nullptr) return;  // counted by the ring: the log thread is behind
    access_record& r = trace_[slot];
    r.end_ns = monotonic_ns();
    r.client = cn.client;
    r.attempts = cn.attempts;
    r.bytes_up = cn.half[0].sent_bytes;
    r.bytes_down = cn.half[1].sent_bytes;
    *out = r;
    log_ring_->publish();
}

void tcp_proxy::count_backend_bytes(const conn& cn) noexcept {
    if (cn.attempts == 0 || cn.backend_slot >= metrics_.backend_capacity) return;
    backend_counters& b = metrics_.backends[cn.backend_slot];
    b.bytes_up.add(cn.half[0].sent_bytes);
    b.bytes_down.add(cn.half[1].sent_bytes);
}

}  // namespace edge::engine
