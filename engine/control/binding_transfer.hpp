#pragma once
// Client affinity across a listener handover: the old process writes its binding table into a
// memfd (client address, backend id, last use), passes the descriptor along with the listening
// sockets, and the new one binds every client whose backend id it also has. Backend slots differ
// between processes (each has its own registry), ids do not; last-use times are on the monotonic
// clock, which both share, so a binding keeps the TTL it had left.
//
// Format (host byte order; both ends are the same machine): "edgebnd1", u32 count, then per
// entry u64 hi, u64 lo, u64 last_used_ms, u16 id length, id bytes. The reader checks every
// length against the file's size.

#include <cstddef>
#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "routing/bindings.hpp"
#include "routing/types.hpp"

namespace edge::engine {

struct exported_table {
    unique_fd fd;  // a sealed memfd, read from offset 0
    std::size_t count = 0;
};

/// Writes the bindings whose backend is in `snap` (same slot and generation) into a new memfd.
/// Control thread (a handover).
result<exported_table, std::string> export_bindings(const routing::binding_table& table,
                                                    const routing::snapshot& snap);

/// Binds every entry of `fd` whose backend id `snap` has; returns how many. A damaged file
/// stops the import where the damage starts (what came before stays). Main thread, at start-up.
std::size_t import_bindings(int fd, routing::binding_table& table, const routing::snapshot& snap);

}  // namespace edge::engine
