#include "geo/countries.hpp"

#include <array>
#include <cstdint>
#include <string_view>

namespace edge::geo {

namespace {

struct continent_members {
    std::string_view continent;
    std::string_view countries;  // two-letter codes separated by one space
};

// GeoNames' continent of every ISO 3166-1 alpha-2 code (and XK). Transcontinental countries
// follow GeoNames: RU is EU; TR, GE, AM, AZ and KZ are AS; CY is EU; EG is AF.
constexpr continent_members table[] = {
    {"AF",
     "DZ AO BJ BW BF BI CV CM CF TD KM CD CG CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG "
     "MW ML MR MU YT MA MZ NA NE NG RE RW SH ST SN SC SL SO ZA SS SD TZ TG TN UG EH ZM ZW"},
    {"AN", "AQ BV GS HM TF"},
    {"AS",
     "AF AM AZ BH BD BT IO BN KH CN CX CC GE HK IN ID IR IQ IL JP JO KZ KP KR KW KG LA LB MO MY "
     "MV MN MM NP OM PK PS PH QA SA SG LK SY TW TJ TH TL TR TM AE UZ VN YE"},
    {"EU",
     "AX AL AD AT BY BE BA BG HR CY CZ DK EE FO FI FR DE GI GR GG VA HU IS IE IM IT JE XK LV LI "
     "LT LU MT MD MC ME NL MK NO PL PT RO RU SM RS SK SI ES SJ SE CH UA GB"},
    {"NA",
     "AI AG AW BS BB BZ BM BQ VG CA KY CR CU CW DM DO SV GL GD GP GT HT HN JM MQ MX MS NI PA PR "
     "BL KN LC MF PM VC SX TT TC US VI"},
    {"OC", "AS AU CK FJ PF GU KI MH FM NR NC NZ NU NF MP PW PG PN WS SB TK TO TV UM VU WF"},
    {"SA", "AR BO BR CL CO EC FK GF GY PY PE SR UY VE"},
};

constexpr std::size_t letter_index(char a, char b) {
    return static_cast<std::size_t>(a - 'A') * 26 + static_cast<std::size_t>(b - 'A');
}

// 26×26 codes → continent value (0 = not a country), built at compile time.
constexpr std::array<std::uint16_t, 26 * 26> build_index() {
    std::array<std::uint16_t, 26 * 26> idx{};
    for (const auto& m : table) {
        auto cont = static_cast<std::uint16_t>((m.continent[0] << 8) | m.continent[1]);
        for (std::size_t i = 0; i + 1 < m.countries.size(); i += 3) {
            idx[letter_index(m.countries[i], m.countries[i + 1])] = cont;
        }
    }
    return idx;
}

constexpr auto index = build_index();

}  // namespace

std::optional<continent_code> continent_of(country_code c) noexcept {
    if (!c.known()) return std::nullopt;
    auto v =
        index[letter_index(static_cast<char>(c.value >> 8), static_cast<char>(c.value & 0xff))];
    if (v == 0) return std::nullopt;
    return continent_code{v};
}

bool is_continent(continent_code c) noexcept {
    for (const auto& m : table) {
        if (continent_code::parse(m.continent) == c) return true;
    }
    return false;
}

}  // namespace edge::geo
