#pragma once
// What `edgectl sync` does to routing.db: a full snapshot of the prefix written as a new file
// (routing::write_routing_db_file, temp + rename), or a batch of watch events applied in one
// write transaction (routing::routing_writer), each with the etcd revision it reached stored in
// `sync_state` in the same write. A value that is not a valid row is rejected alone, logged with
// its key, and the row it would have replaced stays as it was. Tools.

#include <cstdint>
#include <string>
#include <vector>

#include "tools/feed/etcd_client.hpp"
#include "tools/feed/feed_layout.hpp"

namespace edge::feed {

/// Where the file stands: what sync_state says (revision 0: no usable record, start afresh).
struct file_position {
    std::int64_t revision = 0;
    std::uint64_t cluster_id = 0;
    std::string prefix;
    std::size_t backends = 0;  // active backend rows, to refuse emptying a file by mistake
};

/// Reads routing.db's sync_state (revision 0 when the file is missing or unreadable). Tools.
file_position read_position(const std::string& db_path);

/// A key left out of the file, and why.
struct rejected_key {
    std::string key;
    std::string reason;
};

struct apply_result {
    std::size_t rows_written = 0;  // rows put or removed
    std::vector<rejected_key> rejected;
    std::size_t ignored_keys = 0;  // keys outside the layout (another version, stray keys)
};

/// Writes the snapshot `kvs` (all keys under `prefix` at `revision`) as the new routing.db. For a
/// rejected key the file's previous row of that key, if any, is carried over. Throws
/// std::runtime_error when the file cannot be written (the old one stays).
apply_result write_snapshot(const std::string& db_path, const std::string& prefix,
                            const std::vector<key_value>& kvs, std::int64_t revision,
                            std::uint64_t cluster_id);

/// Applies `events` in order (a rejected value leaves the key's row as the events before it made
/// it) and records `revision`, in one write
/// transaction on the existing file. Throws std::runtime_error when the write fails (nothing of
/// it is applied).
apply_result apply_events(const std::string& db_path, const std::string& prefix,
                          const std::vector<watch_event>& events, std::int64_t revision,
                          std::uint64_t cluster_id);

}  // namespace edge::feed
