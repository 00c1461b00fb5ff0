#pragma once
// Passive ejection of one backend (Envoy's outlier detection): each ejection lasts the base time
// multiplied by how many times the backend has been ejected lately (base, 2·base, 3·base …, at
// most the maximum), and the multiplier drops by one for each base time the backend then stays in
// service, so a backend that failed once long ago starts again from the base. Also the cap on how
// many backends of a pool may be ejected at once. Pure: times are passed in.

#include <cstdint>

namespace edge::engine::health {

struct ejection_policy {
    std::uint64_t base_ms = 30000;
    std::uint64_t max_ms = 300000;
    std::uint32_t max_percent = 50;
};

/// One backend's ejections; its checker's thread only.
class ejection_state {
  public:
    /// Out of service for passive failures now.
    bool ejected() const noexcept { return until_ms_ != 0; }
    /// When the current ejection ends (0: not ejected).
    std::uint64_t until_ms() const noexcept { return until_ms_; }
    /// The current (or last) ejection's length.
    std::uint64_t length_ms() const noexcept { return length_ms_; }
    /// The multiplier the last ejection used.
    std::uint32_t multiplier() const noexcept { return multiplier_; }

    /// Ejects at `now` and returns the ejection's length.
    std::uint64_t eject(std::uint64_t now, const ejection_policy& p) noexcept;
    /// Back in service at `now`: the ejection time ran out, or an active check passed.
    void end(std::uint64_t now) noexcept;
    /// The current ejection's time has run out by `now`.
    bool expired(std::uint64_t now) const noexcept { return ejected() && now >= until_ms_; }

  private:
    std::uint64_t until_ms_ = 0;
    std::uint64_t length_ms_ = 0;
    std::uint64_t returned_ms_ = 0;  // when it last came back (0: never ejected)
    std::uint32_t multiplier_ = 0;
};

/// How many of a pool of `candidates` backends may be ejected at once: `max_percent` of them,
/// rounded down, but at least one (as Envoy does), so that a small pool can eject its one bad
/// backend. Any thread.
std::uint32_t ejection_cap(std::uint32_t candidates, std::uint32_t max_percent) noexcept;

}  // namespace edge::engine::health
