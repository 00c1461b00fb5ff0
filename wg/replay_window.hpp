#pragma once
// The anti-replay window for received data counters (whitepaper §5.4.6, RFC 6479's ring of
// bitmap words): a counter is accepted once, and only while it is no more than `window` behind
// the highest seen. 256 words of 64 bits give a window of 16,320 counters — twice Linux's 8,192 —
// because several workers decrypting one session's batches reorder more than one CPU does.
//
// Not thread-safe by itself: keypair.hpp holds it under the session's short lock.

#include <algorithm>
#include <array>
#include <cstdint>

namespace edge::wg {

class replay_window {
  public:
    static constexpr std::size_t words = 256;
    static constexpr std::uint64_t window = (words - 1) * 64;

    /// Accepts `counter` once, marking it seen; false when it was seen already, lies more than
    /// `window` behind the highest accepted counter, or is not below `limit`
    /// (REJECT_AFTER_MESSAGES). Caller holds the session's lock.
    bool accept(std::uint64_t counter, std::uint64_t limit) noexcept {
        if (counter >= limit) return false;
        const std::uint64_t index = counter >> 6;
        if (counter > highest_ || !any_) {
            // Clear the words between the old highest and the new one (at most the whole ring).
            const std::uint64_t current = highest_ >> 6;
            const std::uint64_t steps =
                any_ ? std::min<std::uint64_t>(index - current, words) : words;
            for (std::uint64_t i = 1; i <= steps; ++i)
                bits_[(current + i) % words] = 0;
            highest_ = counter;
            any_ = true;
        } else if (highest_ - counter > window) {
            return false;
        }
        std::uint64_t& word = bits_[index % words];
        const std::uint64_t bit = std::uint64_t(1) << (counter & 63);
        if ((word & bit) != 0) return false;
        word |= bit;
        return true;
    }

    /// The highest counter accepted so far (0 before any). Caller holds the lock.
    std::uint64_t highest() const noexcept { return highest_; }

  private:
    std::array<std::uint64_t, words> bits_{};
    std::uint64_t highest_ = 0;
    bool any_ = false;
};

}  // namespace edge::wg
