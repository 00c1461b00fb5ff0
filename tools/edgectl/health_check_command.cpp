// edgectl backend check [DB] ID …: a backend's row in the optional `health_checks` table — how this
// POP's checker probes it (issue 14). Unset settings take the proxy's defaults (its flags);
// --default removes the row.

#include <fmt/format.h>

#include "base/strings.hpp"
#include "routing/health_check_validation.hpp"
#include "tools/edgectl/routing_store.hpp"

namespace edge::edgectl {

int run_health_check(const args& a) {
    std::set<std::string> values = {"kind",     "send",    "expect", "path", "status",
                                    "interval", "timeout", "rise",   "fall", "jitter"};
    values.insert(store_value_flags.begin(), store_value_flags.end());
    auto f = parse_flags(a, 1, values, {"default"});
    bool etcd = f.value("etcd") != nullptr;
    if (f.positional.size() != (etcd ? 1u : 2u)) throw usage_error("backend check takes [DB] ID");
    std::string db = etcd ? std::string() : f.positional[0];
    const std::string& id = f.positional.back();
    bool reset = f.switches.count("default") != 0;
    // --default deletes the row, so a setting given with it would be dropped without a word:
    // refuse it. Only the flags that name the store (--etcd, its TLS and credentials) may come
    // along, whichever store it is.
    if (reset) {
        for (const auto& [k, v] : f.values)
            if (!store_value_flags.count(k))
                throw usage_error(fmt::format(
                    "--default removes the override and takes no other setting (got --{}); give "
                    "the settings without --default to change them",
                    k));
    }

    using routing::db_value;
    routing::raw_health_check row;
    row.id = db_value::of(id);
    auto millis = [&](const char* flag, db_value& field) {
        if (const std::string* v = f.value(flag))
            field = db_value::of(static_cast<std::int64_t>(parse_duration_ms(*v, flag)));
    };
    take_flag(f, "send", row.send);
    take_flag(f, "expect", row.expect);
    take_flag(f, "path", row.http_path);
    take_flag(f, "status", row.http_status);
    millis("interval", row.interval_ms);
    millis("timeout", row.timeout_ms);
    millis("jitter", row.jitter_ms);
    take_flag(f, "rise", row.rise);
    take_flag(f, "fall", row.fall);
    if (const std::string* k = f.value("kind"))
        row.kind = db_value::of(*k);
    else if (f.value("send") || f.value("expect"))
        row.kind = db_value::of(std::string("send_expect"));
    else if (f.value("path") || f.value("status"))
        row.kind = db_value::of(std::string("http"));
    else
        row.kind = db_value::of(std::string("tcp"));
    std::optional<routing::health_check> parsed;
    if (!reset) {
        auto hc = routing::validate_health_check(row);
        if (!hc) throw usage_error(hc.error());
        parsed = std::move(*hc);
    }

    run_edit(f, db, false, [&](routing_store& s) {
        if (!s.backend(id, nullptr))
            throw std::runtime_error(fmt::format("no backend '{}'", escape_control(id)));
        if (reset)
            s.remove_health_check(id);
        else
            s.put_health_check(row);
        return 0;
    });
    if (reset) {
        fmt::print("backend '{}' is checked with the proxy's defaults\n", escape_control(id));
        return 0;
    }
    auto or_default = [](const std::optional<std::uint32_t>& v, const char* unit) {
        return v ? fmt::format("{}{}", *v, unit) : std::string("default");
    };
    fmt::print("backend '{}' checked by {}: interval {}, timeout {}, rise {}, fall {}, jitter {}\n",
               escape_control(id), routing::to_string(parsed->kind),
               or_default(parsed->interval_ms, " ms"), or_default(parsed->timeout_ms, " ms"),
               or_default(parsed->rise, ""), or_default(parsed->fall, ""),
               or_default(parsed->jitter_ms, " ms"));
    return 0;
}

}  // namespace edge::edgectl
