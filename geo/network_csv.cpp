#include "geo/network_csv.hpp"

#include <unordered_map>

#include "geo/countries.hpp"

namespace edge::geo {

namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
        if (x != y) return false;
    }
    return true;
}

std::string network_key(const ip_network& n) {
    return std::string(reinterpret_cast<const char*>(n.base.bytes.data()), 16) +
           static_cast<char>(n.prefix);
}

}  // namespace

std::string describe(const csv_error& e) {
    std::string s = "line " + std::to_string(e.line) + ": ";
    switch (e.kind) {
        case csv_error_kind::missing_country:
            return s + "expected CIDR,COUNTRY[,REGION]";
        case csv_error_kind::too_many_fields:
            return s + "too many fields (expected CIDR,COUNTRY[,REGION])";
        case csv_error_kind::bad_network:
            return s + "bad network: " + describe(e.network);
        case csv_error_kind::bad_country:
            return s + "country must be a two-letter ISO 3166-1 code";
        case csv_error_kind::unknown_country:
            return s + "not an ISO 3166-1 country code";
        case csv_error_kind::bad_region:
            return s + "region must be 1-15 printable ASCII bytes without spaces";
        case csv_error_kind::duplicate_network:
            return s + "network already listed on line " + std::to_string(e.other_line);
    }
    return s + "error";
}

result<std::vector<csv_network>, std::vector<csv_error>> parse_network_csv(std::string_view text,
                                                                           std::size_t max_errors) {
    std::vector<csv_network> out;
    std::vector<csv_error> errors;
    std::unordered_map<std::string, std::uint32_t> first_line;
    std::uint32_t line_no = 0;
    bool seen_data = false;
    while (!text.empty() && errors.size() < max_errors) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;

        std::string_view f[3];
        std::size_t n = 0;  // number of fields on the line
        for (std::size_t start = 0;;) {
            auto comma = line.find(',', start);
            if (n < 3) f[n] = trim(line.substr(start, comma - start));
            ++n;
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        if (!seen_data && (iequals(f[0], "network") || iequals(f[0], "cidr"))) {
            seen_data = true;  // a header line
            continue;
        }
        seen_data = true;
        if (n < 2) {
            errors.push_back({csv_error_kind::missing_country, line_no});
            continue;
        }
        if (n > 3) {
            errors.push_back({csv_error_kind::too_many_fields, line_no});
            continue;
        }
        auto net = ip_network::parse(f[0]);
        if (!net) {
            errors.push_back({csv_error_kind::bad_network, line_no, 0, net.error()});
            continue;
        }
        auto country = country_code::parse(f[1]);
        if (!country) {
            errors.push_back({csv_error_kind::bad_country, line_no});
            continue;
        }
        auto continent = continent_of(*country);
        if (!continent) {
            errors.push_back({csv_error_kind::unknown_country, line_no});
            continue;
        }
        record rec{*country, *continent, {}};
        if (n == 3 && !f[2].empty()) {  // "net,CC," means no region
            auto region = region_code::parse(f[2]);
            if (!region) {
                errors.push_back({csv_error_kind::bad_region, line_no});
                continue;
            }
            rec.region = *region;
        }
        auto [it, fresh] = first_line.try_emplace(network_key(*net), line_no);
        if (!fresh) {
            errors.push_back({csv_error_kind::duplicate_network, line_no, it->second});
            continue;
        }
        out.push_back({*net, rec, line_no});
    }
    if (!errors.empty()) return unexpected(std::move(errors));
    return out;
}

}  // namespace edge::geo
