#pragma once
// Helpers shared by the wg/crypto tests: hex in and out, a seeded byte generator (tests must be
// reproducible, so never the OS's randomness), and a loop that runs a check on every
// implementation path the CPU supports, naming the path in each failure.

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "wg/crypto/impl.hpp"

namespace edge::wg::crypto::test {

using bytes = std::vector<std::uint8_t>;

inline bytes hex(std::string_view s) {
    bytes out;
    int hi = -1;
    for (char c : s) {
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            continue;  // spaces, colons and line breaks as the RFCs print them
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(std::uint8_t(hi << 4 | v));
            hi = -1;
        }
    }
    return out;
}

inline std::string to_hex(const std::uint8_t* p, std::size_t n) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += k_digits[p[i] >> 4];
        s += k_digits[p[i] & 15];
    }
    return s;
}
template <class C>
std::string to_hex(const C& c) {
    return to_hex(c.data(), c.size());
}

inline bytes ascii(std::string_view s) {
    return bytes(s.begin(), s.end());
}

/// Deterministic pseudo-random bytes for differential tests.
class byte_source {
  public:
    explicit byte_source(std::uint64_t seed) : rng_(seed) {}
    bytes take(std::size_t n) {
        bytes b(n);
        for (auto& x : b)
            x = std::uint8_t(rng_());
        return b;
    }
    std::size_t below(std::size_t n) { return std::size_t(rng_() % n); }

  private:
    std::mt19937_64 rng_;
};

/// Runs f() once per supported path with that path selected; restores the original path.
template <class F>
void for_each_impl(F&& f) {
    const impl before = active_impl();
    for (impl i : all_impls()) {
        if (!is_supported(i)) continue;
        REQUIRE(select_impl(i));
        INFO("implementation path: " << impl_name(i));
        f(i);
    }
    select_impl(before);
}

}  // namespace edge::wg::crypto::test
