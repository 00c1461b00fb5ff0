#pragma once
// The `edgectl sync` process: keeps one POP's routing.db equal to a key prefix of etcd.
//
//   start → read sync_state from routing.db (the revision it holds)
//         → no usable revision: snapshot the prefix (one linearizable read, paged at one
//           revision) and write a new file (temp + rename)
//         → watch from revision + 1; events are batched (debounced) and each batch is one write
//           transaction that also stores the revision reached, so a restart resumes there
//         → the watch compacted away or cancelled, or another cluster: a fresh snapshot
//         → the stream broken (member gone): reopen it on the next endpoint, from the revision
//
// Staleness: a probe thread reads the cluster's revision through a linearizable (quorum) read
// every probe interval; once the watch has confirmed that revision (an event or a progress
// notification at or past it) and every event up to it is in the file, the file is known fresh
// as of the probe's start. Without quorum the probe fails, and staleness grows. routing.db is
// never emptied or truncated for want of etcd: on errors the last good file stays.

#include <atomic>
#include <chrono>
#include <string>

#include "tools/feed/etcd_client.hpp"
#include "tools/feed/sync_status.hpp"

namespace edge::feed {

struct sync_options {
    etcd_options etcd;
    std::string prefix;
    std::string db_path;
    std::chrono::milliseconds debounce{20};    // quiet time that closes a batch
    std::chrono::milliseconds max_delay{200};  // oldest event's longest wait in a batch
    std::chrono::milliseconds probe_interval{1000};
    std::chrono::seconds max_age{60};  // past it: warn (the file keeps serving)
    bool allow_empty = false;          // follow a snapshot with no backend at all
    bool once = false;                 // exit 0 once the file matches etcd
};

/// Runs the sync until `stop` (or, with `once`, until the file matches etcd). Returns the exit
/// code. Reports through `status`. Its own thread (the caller's), plus a watch and a probe
/// thread it starts and joins.
int run_sync(const sync_options& opts, sync_status& status, const std::atomic<bool>& stop);

}  // namespace edge::feed
