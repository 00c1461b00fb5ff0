#pragma once
// etcd_client: etcd v3 through its JSON gateway (the grpc-gateway every etcd 3.4 member serves on
// its client URL: /v3/kv/range, /v3/kv/txn, /v3/watch, /v3/auth/authenticate) over libcurl.
// Several endpoints with fail-over: a request that cannot reach one member, or that a member
// cannot serve (no leader, shutting down), moves on to the next. TLS (CA, client certificate)
// and user/password authentication. Keys and values are bytes (the gateway's base64 is handled
// here); revisions are int64. Tools code: failures throw etcd_error. One client per thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace edge::feed {

struct etcd_options {
    std::vector<std::string> endpoints;  // http(s)://host:port, tried in order
    std::string user, password;          // authentication (both or neither)
    std::string ca_file;                 // TLS: trust these CAs instead of the system's
    std::string cert_file, key_file;     // TLS client certificate
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds request_timeout{5000};
};

/// Parses "http://a:2379,https://b:2379" into endpoints; throws std::invalid_argument naming a
/// bad one.
std::vector<std::string> parse_endpoints(const std::string& list);

struct etcd_error : std::runtime_error {
    enum class kind : std::uint8_t {
        unavailable,  // no endpoint could serve the request (down, unreachable, no quorum)
        compacted,    // the revision asked for was compacted away
        auth,         // authentication failed or is required
        rejected,     // etcd refused the request itself (bad request, too large…)
        garbage,      // the answer was not what the gateway sends
    };
    etcd_error(kind k, const std::string& what) : std::runtime_error(what), why(k) {}
    kind why;
};

struct response_header {
    std::uint64_t cluster_id = 0;
    std::uint64_t member_id = 0;
    std::int64_t revision = 0;
};

struct key_value {
    std::string key, value;
    std::int64_t create_revision = 0, mod_revision = 0;
};

struct range_request {
    std::string key;
    std::string range_end;      // "" = just key; prefix_end(p) = every key starting with p
    std::int64_t revision = 0;  // 0 = now
    std::int64_t limit = 0;     // 0 = no limit
    bool count_only = false;
    bool serializable = false;  // false: linearizable (through the leader, needs quorum)
};

struct range_response {
    response_header header;
    std::vector<key_value> kvs;
    bool more = false;
    std::int64_t count = 0;
};

/// One comparison of a transaction: key's create or mod revision equal to `revision` (create
/// revision 0: the key does not exist).
struct txn_compare {
    enum class target : std::uint8_t { create, mod } what;
    std::string key;
    std::int64_t revision = 0;
};

/// One operation of a transaction: put `value` at `key`, or delete `key`.
struct txn_op {
    bool is_delete = false;
    std::string key, value;
};

struct txn_response {
    response_header header;
    bool succeeded = false;
};

/// One event of a watch stream.
struct watch_event {
    bool is_delete = false;
    key_value kv;
};

/// One message of a watch stream: events, or a progress notification (no events), or the end.
struct watch_response {
    response_header header;
    std::vector<watch_event> events;
    bool created = false;
    bool canceled = false;
    std::int64_t compact_revision = 0;  // non-zero: the start revision was compacted away
    std::string cancel_reason;
};

/// The end of every key starting with `prefix` (etcd's range_end for a prefix).
std::string prefix_end(const std::string& prefix);

class etcd_client {
  public:
    explicit etcd_client(etcd_options opts);
    ~etcd_client();
    etcd_client(const etcd_client&) = delete;
    etcd_client& operator=(const etcd_client&) = delete;

    range_response range(const range_request& r);
    /// Every key under `prefix` at one revision (the first page's, unless `revision` is given),
    /// read in pages of `page` keys so that no answer grows past the gateway's message limits.
    range_response range_prefix(const std::string& prefix, std::int64_t revision = 0,
                                std::int64_t page = 2000);
    txn_response txn(const std::vector<txn_compare>& compares, const std::vector<txn_op>& ops);

    /// Watches every key under `prefix` from `start_revision` (with progress notifications),
    /// calling `on_response` for each message until it returns false, `stop` becomes true, or
    /// the stream ends (the member went away: throws etcd_error unavailable). Tries the
    /// endpoints in turn to open the stream. Blocking; one watch per client at a time.
    void watch(const std::string& prefix, std::int64_t start_revision,
               const std::function<bool(const watch_response&)>& on_response,
               const std::atomic<bool>& stop);

    /// The endpoint the last request went to.
    const std::string& endpoint() const;

    struct impl;

  private:
    std::unique_ptr<impl> impl_;
};

}  // namespace edge::feed
