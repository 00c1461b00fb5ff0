#include "tools/edge_load/stats.hpp"

#include <cerrno>

namespace edge::load {

std::string_view error_name(error_kind k) noexcept {
    switch (k) {
        case error_kind::refused:
            return "refused";
        case error_kind::reset:
            return "reset";
        case error_kind::timeout:
            return "timeout";
        case error_kind::short_read:
            return "short_read";
        case error_kind::wrong_bytes:
            return "wrong_bytes";
        case error_kind::other:
            return "other";
        case error_kind::count_:
            break;
    }
    return "?";
}

error_kind classify_errno(int negative_errno) noexcept {
    switch (-negative_errno) {
        case ECONNREFUSED:
            return error_kind::refused;
        case ECONNRESET:
        case EPIPE:
        case ECONNABORTED:
            return error_kind::reset;
        case ETIMEDOUT:
        case ETIME:
            return error_kind::timeout;
        default:
            return error_kind::other;
    }
}

void client_stats::fail(error_kind k, int negative_errno) noexcept {
    failed.add();
    errors[unsigned(k)].add();
    if (k == error_kind::other && negative_errno != 0 &&
        first_other_errno.load(std::memory_order_relaxed) == 0)
        first_other_errno.store(-negative_errno, std::memory_order_relaxed);
}

}  // namespace edge::load

namespace edge::load {

std::uint64_t client_totals::error_total() const noexcept {
    std::uint64_t t = 0;
    for (auto e : errors)
        t += e;
    return t;
}

void client_totals::add(const client_stats& s, bool with_histograms) {
    attempted += s.attempted.get();
    completed += s.completed.get();
    failed += s.failed.get();
    bytes_sent += s.bytes_sent.get();
    bytes_received += s.bytes_received.get();
    for (unsigned k = 0; k < error_kinds; ++k)
        errors[k] += s.errors[k].get();
    if (first_other_errno == 0) first_other_errno = s.first_other_errno.load();
    if (with_histograms) {
        connect.merge(s.connect);
        first_byte.merge(s.first_byte);
        complete.merge(s.complete);
    }
}

}  // namespace edge::load
