#pragma once
// The etcd v3 JSON gateway's encoding: bytes as standard base64, int64 as decimal strings,
// default-valued fields left out, and a watch stream of JSON objects one after another. Pure
// code; tools.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/base64.hpp"  // base64_encode, base64_decode: the gateway's bytes
#include "tools/feed/etcd_client.hpp"

namespace edge::feed {

/// An int64 field written as a string (or a number); 0 when absent; throws etcd_error garbage
/// when it is something else.
std::int64_t int64_field(const nlohmann::json& j, const char* name);
/// A uint64 field (cluster and member ids use the whole range), as int64_field.
std::uint64_t uint64_field(const nlohmann::json& j, const char* name);
/// The "header" object of an answer (all zero when absent).
response_header parse_header(const nlohmann::json& j);
/// One "kv" object: key and value decoded from base64, revisions.
key_value parse_kv(const nlohmann::json& kv);
/// One message of a watch stream ({"result": {...}}); throws etcd_error for an error message.
watch_response parse_watch_message(const nlohmann::json& j, const std::string& endpoint);

/// Splits a stream of concatenated JSON objects: feed bytes in, take whole objects out.
class json_object_splitter {
  public:
    /// Appends received bytes.
    void feed(std::string_view bytes) { buffer_.append(bytes); }
    /// The next complete top-level object's text, if one has arrived.
    std::optional<std::string> next();
    /// Bytes received but not yet part of a complete object.
    std::size_t pending() const noexcept { return buffer_.size() - scanned_start_; }

  private:
    std::string buffer_;
    std::size_t scanned_start_ = 0;  // start of the object being scanned
    std::size_t pos_ = 0;            // next byte to scan
    int depth_ = 0;
    bool in_string_ = false, escaped_ = false;
};

}  // namespace edge::feed
