#pragma once
// The access log's two line formats, one line per finished connection (docs: README, "Access
// log"). text is logfmt (key=value, values quoted only when they must be), greppable and
// parseable; json is one object per line. Both carry the same fields:
//
//   time          accept time, UTC, milliseconds (ISO 8601)
//   client        the client's address and port (the PROXY header's source where one arrived)
//   listener      the listen address that accepted it
//   country       the client's country; region its region ('-' / null when unknown)
//   backend       the backend id; backend_addr its address ('-' / null when none was chosen)
//   attempts      backends dialled; connect_ms the successful connect's time
//   bytes_up      client → backend; bytes_down backend → client
//   duration_ms   accept to the last operation's end
//   term          HAProxy's tcplog termination state; reason the same in a word
//
// Runs on the log thread only.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/host/access_record.hpp"

namespace edge::engine {

enum class access_log_format : std::uint8_t { text, json };

class line_formatter {
  public:
    /// `listeners`: the listen addresses as they print, by access_record::listener.
    line_formatter(access_log_format f, std::vector<std::string> listeners);

    /// Sets the wall-clock offset for the records that follow: realtime − monotonic, sampled
    /// now. Log thread, once per batch.
    void set_clock_offset(std::int64_t realtime_minus_monotonic_ns) noexcept {
        offset_ns_ = realtime_minus_monotonic_ns;
    }
    /// Samples the offset from the clocks now.
    void sample_clock_offset() noexcept;
    /// Appends one line (with its '\n') for `r` to `out`.
    void append(const access_record& r, std::string& out);

  private:
    void append_time(std::uint64_t monotonic_ns, std::string& out);
    void append_text(const access_record& r, std::string& out);
    void append_json(const access_record& r, std::string& out);
    std::string_view listener(const access_record& r) const noexcept;

    access_log_format format_;
    std::vector<std::string> listeners_;
    std::int64_t offset_ns_ = 0;
    // gmtime_r once per second of log time, not per line.
    std::int64_t cached_second_ = -1;
    char cached_prefix_[32] = {};  // "YYYY-MM-DDTHH:MM:SS"
};

}  // namespace edge::engine
