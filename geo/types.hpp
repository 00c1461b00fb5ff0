#pragma once
// Types shared by geo/, routing/ and engine/: a client's country and region as small values that
// compare with one integer instruction. Types only; no libmaxminddb here.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace edge::geo {

/// ISO 3166-1 alpha-2 country code, upper-cased and packed into 16 bits; 0 means unknown.
struct country_code {
    std::uint16_t value = 0;

    /// Accepts two ASCII letters in either case; anything else gives nullopt.
    static constexpr std::optional<country_code> parse(std::string_view s) noexcept {
        if (s.size() != 2) return std::nullopt;
        char a = upper(s[0]), b = upper(s[1]);
        if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return std::nullopt;
        return country_code{static_cast<std::uint16_t>((a << 8) | b)};
    }
    constexpr bool known() const noexcept { return value != 0; }
    std::string str() const {
        if (!known()) return {};
        return {static_cast<char>(value >> 8), static_cast<char>(value & 0xff)};
    }
    friend constexpr bool operator==(country_code, country_code) = default;

  private:
    static constexpr char upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? c - 32 : c; }
};

/// A region name ("sa", "eu", "us-east"), lower-cased, at most 15 bytes, packed into two words;
/// all-zero means unknown. Names are kept as given (no silent mapping of unknown names).
struct region_code {
    static constexpr std::size_t max_length = 15;
    std::uint64_t w[2] = {0, 0};

    /// Accepts 1..15 printable ASCII bytes without spaces; lower-cases letters.
    static constexpr std::optional<region_code> parse(std::string_view s) noexcept {
        if (s.empty() || s.size() > max_length) return std::nullopt;
        region_code r;
        for (std::size_t i = 0; i < s.size(); ++i) {
            char c = s[i];
            if (c <= ' ' || c > '~') return std::nullopt;
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
            r.w[i / 8] |= static_cast<std::uint64_t>(static_cast<unsigned char>(c))
                          << (8 * (i % 8));
        }
        return r;
    }
    constexpr bool known() const noexcept { return (w[0] | w[1]) != 0; }
    std::string str() const {
        std::string s;
        for (std::size_t i = 0; i < 16; ++i) {
            char c = static_cast<char>((w[i / 8] >> (8 * (i % 8))) & 0xff);
            if (c == 0) break;
            s.push_back(c);
        }
        return s;
    }
    friend constexpr bool operator==(const region_code&, const region_code&) = default;
};

/// Continent code as MaxMind writes it (AF, AN, AS, EU, NA, OC, SA), packed like country_code;
/// 0 means unknown. Any two letters parse: the database is the authority on which exist.
struct continent_code {
    std::uint16_t value = 0;

    /// Accepts two ASCII letters in either case; anything else gives nullopt.
    static constexpr std::optional<continent_code> parse(std::string_view s) noexcept {
        auto c = country_code::parse(s);
        if (!c) return std::nullopt;
        return continent_code{c->value};
    }
    /// True unless unknown (0). Any thread.
    constexpr bool known() const noexcept { return value != 0; }
    /// The two letters, or "" when unknown. Any thread.
    std::string str() const { return country_code{value}.str(); }
    friend constexpr bool operator==(continent_code, continent_code) = default;
};

/// What a geo database says about one address: its country (country.iso_code, else
/// registered_country.iso_code), continent (continent.code) and, in databases written by
/// `edgectl geo build`, an explicit region. Unknown fields stay zero.
struct record {
    country_code country;
    continent_code continent;
    region_code region;
    friend constexpr bool operator==(const record&, const record&) = default;
};

/// Where a client is, as far as the databases know. Unknown fields stay zero: a client whose
/// region cannot be known gets no geo tier rather than a wrong one.
struct location {
    country_code country;
    region_code region;
    continent_code continent;  // informational (logs, metrics); routing uses country and region
    friend constexpr bool operator==(const location&, const location&) = default;
};

}  // namespace edge::geo
