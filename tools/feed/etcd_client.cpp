// etcd_client over libcurl and the v3 JSON gateway. Two things shape this file:
// - The gateway speaks JSON with bytes as base64 and int64 as strings ("revision":"12"), and it
//   leaves out fields at their default (a PUT event has no "type", a failed txn no
//   "succeeded"): every field is read as optional.
// - Fail-over: a member that is down refuses or times out the connection, and one without a
//   leader answers with a gRPC "unavailable"/"deadline exceeded" error; both move the request to
//   the next endpoint. Anything else is the cluster's answer and is not retried elsewhere.

#include "tools/feed/etcd_client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "tools/feed/etcd_json.hpp"

namespace edge::feed {

using json = nlohmann::json;

namespace {

// libcurl's global set-up, once per process, before any thread uses it.
void curl_init_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct curl_handle {
    CURL* h = curl_easy_init();
    ~curl_handle() { curl_easy_cleanup(h); }
};

struct header_list {
    curl_slist* l = nullptr;
    ~header_list() { curl_slist_free_all(l); }
    void add(const std::string& s) { l = curl_slist_append(l, s.c_str()); }
};

// The gRPC status codes the gateway reports that mean "try another member".
bool is_unavailable_code(int code) {
    return code == 14 /* UNAVAILABLE */ || code == 4 /* DEADLINE_EXCEEDED */ ||
           code == 1 /* CANCELLED */ || code == 10 /* ABORTED */;
}

// An error object of the gateway: {"error": "...", "code": N} (unary) or {"error": {"grpc_code":
// N, "message": "..."}} (streams).
std::optional<std::pair<int, std::string>> gateway_error(const json& j) {
    if (!j.is_object() || !j.contains("error")) return std::nullopt;
    const json& e = j["error"];
    if (e.is_object()) {
        int code = e.value("grpc_code", e.value("code", 2));
        return std::pair{code, e.value("message", std::string("error"))};
    }
    int code = j.value("code", 2);
    return std::pair{code, e.is_string() ? e.get<std::string>() : e.dump()};
}

etcd_error error_for(int code, const std::string& message, const std::string& endpoint) {
    std::string what = fmt::format("{}: {}", endpoint, message);
    if (message.find("compacted") != std::string::npos)
        return etcd_error(etcd_error::kind::compacted, what);
    if (code == 16 || code == 7) return etcd_error(etcd_error::kind::auth, what);
    if (is_unavailable_code(code)) return etcd_error(etcd_error::kind::unavailable, what);
    return etcd_error(etcd_error::kind::rejected, what);
}

}  // namespace

std::vector<std::string> parse_endpoints(const std::string& list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        std::string e = list.substr(start, comma == std::string::npos ? comma : comma - start);
        while (!e.empty() && e.back() == '/')
            e.pop_back();
        if (!e.empty()) {
            bool http = e.rfind("http://", 0) == 0, https = e.rfind("https://", 0) == 0;
            std::string rest = e.substr(http ? 7 : https ? 8 : 0);
            if ((!http && !https) || rest.empty() || rest.find('/') != std::string::npos)
                throw std::invalid_argument(
                    fmt::format("'{}' is not an endpoint URL (http(s)://host:port)", e));
            out.push_back(e);
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (out.empty()) throw std::invalid_argument("no etcd endpoint given");
    return out;
}

std::string prefix_end(const std::string& prefix) {
    std::string end = prefix;
    while (!end.empty()) {
        auto& c = reinterpret_cast<unsigned char&>(end.back());
        if (c < 0xff) {
            ++c;
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');  // every key
}

struct etcd_client::impl {
    etcd_options opts;
    std::size_t current = 0;  // index of the endpoint to try first
    std::string token;        // authentication token, when user/password are set
    curl_handle unary;        // kept across requests: one connection, reused

    void apply_common(CURL* h, const std::string& url, header_list& headers) {
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(opts.connect_timeout.count()));
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 5L);
        curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 2L);
        if (!opts.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts.ca_file.c_str());
        if (!opts.cert_file.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, opts.cert_file.c_str());
        if (!opts.key_file.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, opts.key_file.c_str());
        headers.add("Content-Type: application/json");
        if (!token.empty()) headers.add("Authorization: " + token);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.l);
    }

    // One POST to one endpoint: {HTTP status, body}, or nullopt with `error` set when the member
    // could not be reached or did not answer in time.
    std::optional<std::pair<long, std::string>> post_once(const std::string& endpoint,
                                                          const std::string& path,
                                                          const std::string& body,
                                                          std::string& error) {
        header_list headers;
        apply_common(unary.h, endpoint + path, headers);
        std::string out;
        curl_easy_setopt(unary.h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(unary.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(unary.h, CURLOPT_TIMEOUT_MS,
                         static_cast<long>(opts.request_timeout.count()));
        curl_easy_setopt(
            unary.h, CURLOPT_WRITEFUNCTION, +[](char* p, size_t, size_t n, void* ud) -> size_t {
                auto* s = static_cast<std::string*>(ud);
                if (s->size() + n > (256u << 20)) return 0;  // a runaway answer
                s->append(p, n);
                return n;
            });
        curl_easy_setopt(unary.h, CURLOPT_WRITEDATA, &out);
        CURLcode rc = curl_easy_perform(unary.h);
        if (rc != CURLE_OK) {
            error = fmt::format("{}: {}", endpoint, curl_easy_strerror(rc));
            return std::nullopt;
        }
        long status = 0;
        curl_easy_getinfo(unary.h, CURLINFO_RESPONSE_CODE, &status);
        return std::pair{status, std::move(out)};
    }

    void authenticate(const std::string& endpoint) {
        json req = {{"name", opts.user}, {"password", opts.password}};
        std::string err;
        token.clear();
        auto r = post_once(endpoint, "/v3/auth/authenticate", req.dump(), err);
        if (!r) throw etcd_error(etcd_error::kind::unavailable, err);
        json j = json::parse(r->second, nullptr, false);
        if (auto e = gateway_error(j)) throw error_for(e->first, e->second, endpoint);
        if (!j.is_object() || !j.contains("token") || !j["token"].is_string())
            throw etcd_error(etcd_error::kind::garbage,
                             fmt::format("{}: no token in the authenticate answer", endpoint));
        token = j["token"].get<std::string>();
    }

    // POSTs `body` to `path`, failing over across endpoints; the parsed JSON answer.
    json call(const std::string& path, const json& body) {
        std::string payload = body.dump();
        std::string last_error;
        for (std::size_t tried = 0; tried < opts.endpoints.size(); ++tried) {
            const std::string& endpoint = opts.endpoints[current];
            bool reauthenticated = false;
            for (;;) {
                try {
                    if (!opts.user.empty() && token.empty()) authenticate(endpoint);
                } catch (const etcd_error& e) {
                    if (e.why != etcd_error::kind::unavailable) throw;
                    last_error = e.what();
                    break;
                }
                auto r = post_once(endpoint, path, payload, last_error);
                if (!r) break;
                json j = json::parse(r->second, nullptr, false);
                if (j.is_discarded())
                    throw etcd_error(etcd_error::kind::garbage,
                                     fmt::format("{}: HTTP {}: not JSON", endpoint, r->first));
                if (auto e = gateway_error(j)) {
                    etcd_error err = error_for(e->first, e->second, endpoint);
                    if (err.why == etcd_error::kind::auth && !opts.user.empty() &&
                        !reauthenticated) {
                        token.clear();  // an expired token: once more with a fresh one
                        reauthenticated = true;
                        continue;
                    }
                    if (err.why != etcd_error::kind::unavailable) throw err;
                    last_error = err.what();
                    break;
                }
                if (r->first >= 500) {
                    last_error = fmt::format("{}: HTTP {}", endpoint, r->first);
                    break;
                }
                return j;
            }
            current = (current + 1) % opts.endpoints.size();
            token.clear();
        }
        throw etcd_error(etcd_error::kind::unavailable,
                         fmt::format("no etcd endpoint answered ({})", last_error));
    }
};

etcd_client::etcd_client(etcd_options opts) : impl_(std::make_unique<impl>()) {
    curl_init_once();
    if (opts.endpoints.empty()) throw std::invalid_argument("no etcd endpoint given");
    impl_->opts = std::move(opts);
}

etcd_client::~etcd_client() = default;

const std::string& etcd_client::endpoint() const {
    return impl_->opts.endpoints[impl_->current];
}

range_response etcd_client::range(const range_request& r) {
    json req = {{"key", base64_encode(r.key)}};
    if (!r.range_end.empty()) req["range_end"] = base64_encode(r.range_end);
    if (r.revision) req["revision"] = std::to_string(r.revision);
    if (r.limit) req["limit"] = std::to_string(r.limit);
    if (r.count_only) req["count_only"] = true;
    if (r.serializable) req["serializable"] = true;
    json j = impl_->call("/v3/kv/range", req);
    range_response out;
    out.header = parse_header(j);
    out.more = j.value("more", false);
    out.count = int64_field(j, "count");
    if (j.contains("kvs")) {
        if (!j["kvs"].is_array()) throw etcd_error(etcd_error::kind::garbage, "kvs is not a list");
        for (const json& kv : j["kvs"])
            out.kvs.push_back(parse_kv(kv));
    }
    return out;
}

range_response etcd_client::range_prefix(const std::string& prefix, std::int64_t revision,
                                         std::int64_t page) {
    range_response all;
    range_request r;
    r.key = prefix;
    r.range_end = prefix_end(prefix);
    r.revision = revision;
    r.limit = page;
    for (;;) {
        range_response part = range(r);
        if (all.header.revision == 0) {
            all.header = part.header;
            r.revision = part.header.revision;  // every later page at the first page's revision
        }
        all.kvs.insert(all.kvs.end(), std::make_move_iterator(part.kvs.begin()),
                       std::make_move_iterator(part.kvs.end()));
        if (!part.more || all.kvs.empty()) break;
        r.key = all.kvs.back().key + std::string(1, '\0');  // just after the last key read
    }
    all.count = static_cast<std::int64_t>(all.kvs.size());
    return all;
}

txn_response etcd_client::txn(const std::vector<txn_compare>& compares,
                              const std::vector<txn_op>& ops) {
    json req = {{"compare", json::array()}, {"success", json::array()}};
    for (const txn_compare& c : compares) {
        json cmp = {{"key", base64_encode(c.key)}, {"result", "EQUAL"}};
        if (c.what == txn_compare::target::create) {
            cmp["target"] = "CREATE";
            cmp["create_revision"] = std::to_string(c.revision);
        } else {
            cmp["target"] = "MOD";
            cmp["mod_revision"] = std::to_string(c.revision);
        }
        req["compare"].push_back(std::move(cmp));
    }
    for (const txn_op& op : ops) {
        if (op.is_delete)
            req["success"].push_back({{"request_delete_range", {{"key", base64_encode(op.key)}}}});
        else
            req["success"].push_back(
                {{"request_put",
                  {{"key", base64_encode(op.key)}, {"value", base64_encode(op.value)}}}});
    }
    json j = impl_->call("/v3/kv/txn", req);
    return txn_response{parse_header(j), j.value("succeeded", false)};
}

// ---- watch ----

namespace {

// What the watch's libcurl callbacks share with watch().
struct watch_stream {
    json_object_splitter splitter;
    const std::function<bool(const watch_response&)>* on_response;
    const std::atomic<bool>* stop;
    std::string endpoint;
    bool created = false;      // the first message arrived: the stream is open
    bool handed_back = false;  // on_response returned false
    std::optional<etcd_error> error;
};

size_t on_watch_bytes(char* p, size_t, size_t n, void* ud) {
    auto* w = static_cast<watch_stream*>(ud);
    w->splitter.feed(std::string_view(p, n));
    if (w->splitter.pending() > (64u << 20)) {  // one message larger than 64 MiB: not etcd
        w->error = etcd_error(etcd_error::kind::garbage, w->endpoint + ": watch message too large");
        return 0;
    }
    while (auto obj = w->splitter.next()) {
        json j = json::parse(*obj, nullptr, false);
        try {
            if (j.is_discarded())
                throw etcd_error(etcd_error::kind::garbage,
                                 w->endpoint + ": watch message is not JSON");
            watch_response r = parse_watch_message(j, w->endpoint);
            w->created = true;
            if (!(*w->on_response)(r)) {
                w->handed_back = true;
                return 0;
            }
        } catch (const etcd_error& e) {
            w->error = e;
            return 0;
        }
    }
    return n;
}

int on_watch_progress(void* ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    // libcurl calls this about once a second even on a silent stream: the stop flag's latency.
    return static_cast<watch_stream*>(ud)->stop->load() ? 1 : 0;
}

}  // namespace

void etcd_client::watch(const std::string& prefix, std::int64_t start_revision,
                        const std::function<bool(const watch_response&)>& on_response,
                        const std::atomic<bool>& stop) {
    json req = {{"create_request",
                 {{"key", base64_encode(prefix)},
                  {"range_end", base64_encode(prefix_end(prefix))},
                  {"start_revision", std::to_string(start_revision)},
                  {"progress_notify", true}}}};
    std::string body = req.dump();
    std::string last_error;
    curl_handle stream;
    for (std::size_t tried = 0; tried < impl_->opts.endpoints.size() && !stop; ++tried) {
        const std::string endpoint = impl_->opts.endpoints[impl_->current];
        try {
            if (!impl_->opts.user.empty() && impl_->token.empty()) impl_->authenticate(endpoint);
        } catch (const etcd_error& e) {
            if (e.why != etcd_error::kind::unavailable) throw;
            last_error = e.what();
            impl_->current = (impl_->current + 1) % impl_->opts.endpoints.size();
            continue;
        }
        watch_stream w{{}, &on_response, &stop, endpoint, false, false, std::nullopt};
        header_list headers;
        impl_->apply_common(stream.h, endpoint + "/v3/watch", headers);
        curl_easy_setopt(stream.h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(stream.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(stream.h, CURLOPT_WRITEFUNCTION, on_watch_bytes);
        curl_easy_setopt(stream.h, CURLOPT_WRITEDATA, &w);
        curl_easy_setopt(stream.h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(stream.h, CURLOPT_XFERINFOFUNCTION, on_watch_progress);
        curl_easy_setopt(stream.h, CURLOPT_XFERINFODATA, &w);
        CURLcode rc = curl_easy_perform(stream.h);
        if (w.handed_back || stop) return;
        if (w.error) {
            if (w.error->why == etcd_error::kind::auth && !impl_->opts.user.empty())
                impl_->token.clear();
            if (w.error->why != etcd_error::kind::unavailable || w.created) throw *w.error;
            last_error = w.error->what();
        } else {
            last_error = rc == CURLE_OK ? fmt::format("{}: watch stream ended", endpoint)
                                        : fmt::format("{}: {}", endpoint, curl_easy_strerror(rc));
        }
        // Whatever the member did, the next attempt starts with the next one.
        impl_->current = (impl_->current + 1) % impl_->opts.endpoints.size();
        if (w.created) break;  // it was open: the caller resumes from what it received
    }
    if (stop) return;
    throw etcd_error(etcd_error::kind::unavailable,
                     last_error.empty() ? "no etcd endpoint" : last_error);
}

}  // namespace edge::feed
