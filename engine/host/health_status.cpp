#include "engine/host/health_status.hpp"

#include <fmt/format.h>

#include "engine/host/passive_reports.hpp"
#include "routing/health_view.hpp"

namespace edge::engine {

namespace {

std::string duration_text(std::uint64_t ms) {
    if (ms >= 10000) return fmt::format("{} s", ms / 1000);
    return fmt::format("{} ms", ms);
}

// The checker's side of one backend that routing.db lets serve.
void describe_cell(const health_board& board, const health_cell& cell, std::uint64_t now_ms,
                   backend_health_status& s) {
    auto st = static_cast<health_state>(cell.state.load(std::memory_order_relaxed));
    std::uint8_t reason = cell.reason.load(std::memory_order_relaxed);
    std::uint32_t in_row = cell.in_row.load(std::memory_order_relaxed);
    std::uint64_t since = cell.since_ms.load(std::memory_order_relaxed);
    s.for_ms = since != 0 && now_ms > since ? now_ms - since : 0;
    s.last_check_us = static_cast<std::uint64_t>(cell.last_duration_us.get());
    std::uint8_t level = cell.level.load(std::memory_order_relaxed);
    switch (st) {
        case health_state::up:
            s.state = "up";
            s.in_service = true;
            s.why = !board.active() ? "in service (not actively checked)"
                    : in_row > 0    ? fmt::format("in service; {} check{} failed in a row", in_row,
                                               in_row == 1 ? "" : "s")
                                    : "in service; checks pass";
            break;
        case health_state::slow_start:
            s.state = "slow_start";
            s.in_service = true;
            s.weight_percent = routing::level_share(level) * 100 / 256;
            s.why =
                fmt::format("back in service, slow start at {}% of its weight", s.weight_percent);
            break;
        case health_state::down:
            s.state = "down";
            s.why = fmt::format(
                "checks failed (last: {}){}",
                reason < check_result_names.size() ? check_result_names[reason] : "?",
                in_row > 0 ? fmt::format("; {} passed in a row since", in_row) : std::string());
            break;
        case health_state::ejected: {
            s.state = "ejected";
            std::uint64_t until = cell.until_ms.load(std::memory_order_relaxed);
            s.why = fmt::format(
                "ejected for {} after failures in a row in live traffic (last: {}); back in {}",
                duration_text(cell.ejection_ms.load(std::memory_order_relaxed)),
                reason < std::size(passive_failure_names) ? passive_failure_names[reason] : "?",
                duration_text(until > now_ms ? until - now_ms : 0));
            break;
        }
        case health_state::unknown:
        case health_state::count_:
            s.state = "unchecked";
            s.in_service = true;
            s.why = "in service (no check result yet)";
            break;
    }
}

}  // namespace

std::vector<backend_health_status> describe_health(const health_board* board,
                                                   std::span<const routing::backend> backends,
                                                   std::uint64_t now_ms) {
    std::vector<backend_health_status> out;
    out.reserve(backends.size());
    for (const routing::backend& b : backends) {
        backend_health_status& s = out.emplace_back();
        s.id = b.id;
        s.address = to_string(b.address);
        const health_cell* cell =
            board && b.slot < board->capacity() ? &board->cell(b.slot) : nullptr;
        if (cell) {
            for (std::size_t r = 0; r < check_result_names.size(); ++r)
                (r == 0 ? s.checks_passed : s.checks_failed) += cell->checks[r].get();
            s.ejections = cell->ejections.get();
        }
        if (!b.healthy) {
            s.state = "disabled";
            s.why = "healthy = 0 in routing.db";
            s.weight_percent = 0;
            continue;
        }
        bool described = cell && cell->generation.load(std::memory_order_relaxed) == b.generation;
        if (described) {
            describe_cell(*board, *cell, now_ms, s);
        } else {
            s.in_service = true;
            s.why = board ? "in service (no check result yet)" : "in service (health checks off)";
        }
        if (b.draining) {
            s.why =
                fmt::format("draining in routing.db: bound clients only ({}: {})", s.state, s.why);
            s.state = "draining";
            s.in_service = false;
        }
        if (!s.in_service) s.weight_percent = 0;
    }
    return out;
}

bool health_panic(const health_board* board) noexcept {
    return board != nullptr && board->panic.get() != 0;
}

}  // namespace edge::engine
