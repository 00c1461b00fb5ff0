#include "tools/feed/etcd_json.hpp"

#include <fmt/format.h>

#include <charconv>

namespace edge::feed {

using json = nlohmann::json;

namespace {

etcd_error garbage(const std::string& what) {
    return etcd_error(etcd_error::kind::garbage, what);
}

template <class Int>
Int integer_field(const json& j, const char* name, const char* type) {
    if (!j.is_object() || !j.contains(name)) return 0;
    const json& v = j[name];
    if (v.is_number_integer()) return v.get<Int>();
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        Int n = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc() && end == s.data() + s.size()) return n;
    }
    throw garbage(fmt::format("field {} is not an {}: {}", name, type, v.dump()));
}

}  // namespace

std::int64_t int64_field(const json& j, const char* name) {
    return integer_field<std::int64_t>(j, name, "int64");
}

std::uint64_t uint64_field(const json& j, const char* name) {
    return integer_field<std::uint64_t>(j, name, "uint64");
}

response_header parse_header(const json& j) {
    response_header h;
    if (!j.is_object() || !j.contains("header")) return h;
    const json& hd = j["header"];
    h.cluster_id = uint64_field(hd, "cluster_id");
    h.member_id = uint64_field(hd, "member_id");
    h.revision = int64_field(hd, "revision");
    return h;
}

key_value parse_kv(const json& kv) {
    if (!kv.is_object()) throw garbage("a kv is not an object");
    key_value out;
    auto bytes = [&](const char* name) -> std::string {
        if (!kv.contains(name)) return {};
        if (!kv[name].is_string()) throw garbage(fmt::format("kv {} is not a string", name));
        auto b = base64_decode(kv[name].get_ref<const std::string&>());
        if (!b) throw garbage(fmt::format("kv {} is not base64", name));
        return std::move(*b);
    };
    out.key = bytes("key");
    out.value = bytes("value");
    out.create_revision = int64_field(kv, "create_revision");
    out.mod_revision = int64_field(kv, "mod_revision");
    return out;
}

watch_response parse_watch_message(const json& j, const std::string& endpoint) {
    if (!j.is_object())
        throw garbage(fmt::format("{}: a watch message is not an object", endpoint));
    if (j.contains("error")) {
        const json& e = j["error"];
        int code = e.is_object() ? e.value("grpc_code", e.value("code", 2)) : j.value("code", 2);
        std::string msg = e.is_object() ? e.value("message", std::string("error"))
                                        : (e.is_string() ? e.get<std::string>() : e.dump());
        etcd_error::kind k = msg.find("compacted") != std::string::npos
                                 ? etcd_error::kind::compacted
                             : code == 16 || code == 7 ? etcd_error::kind::auth
                                                       : etcd_error::kind::unavailable;
        throw etcd_error(k, fmt::format("{}: watch: {}", endpoint, msg));
    }
    if (!j.contains("result") || !j["result"].is_object())
        throw garbage(fmt::format("{}: a watch message without result", endpoint));
    const json& r = j["result"];
    watch_response out;
    out.header = parse_header(r);
    out.created = r.value("created", false);
    out.canceled = r.value("canceled", false);
    out.compact_revision = int64_field(r, "compact_revision");
    if (r.contains("cancel_reason") && r["cancel_reason"].is_string())
        out.cancel_reason = r["cancel_reason"].get<std::string>();
    if (r.contains("events")) {
        if (!r["events"].is_array()) throw garbage("events is not a list");
        for (const json& ev : r["events"]) {
            if (!ev.is_object() || !ev.contains("kv")) throw garbage("an event without kv");
            watch_event e;
            e.is_delete = ev.value("type", std::string("PUT")) == "DELETE";
            e.kv = parse_kv(ev["kv"]);
            out.events.push_back(std::move(e));
        }
    }
    return out;
}

std::optional<std::string> json_object_splitter::next() {
    for (; pos_ < buffer_.size(); ++pos_) {
        char c = buffer_[pos_];
        if (in_string_) {
            if (escaped_)
                escaped_ = false;
            else if (c == '\\')
                escaped_ = true;
            else if (c == '"')
                in_string_ = false;
            continue;
        }
        if (c == '"') {
            in_string_ = true;
        } else if (c == '{') {
            if (depth_++ == 0) scanned_start_ = pos_;
        } else if (c == '}') {
            if (depth_ > 0 && --depth_ == 0) {
                std::string obj = buffer_.substr(scanned_start_, pos_ + 1 - scanned_start_);
                buffer_.erase(0, pos_ + 1);
                pos_ = 0;
                scanned_start_ = 0;
                return obj;
            }
        } else if (depth_ == 0 && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            // Garbage between objects: skip it (the object parser reports real damage).
        }
    }
    if (depth_ == 0) {  // only whitespace or garbage so far: drop it
        buffer_.clear();
        pos_ = 0;
        scanned_start_ = 0;
    }
    return std::nullopt;
}

}  // namespace edge::feed
