#pragma once
// Why a routing.db cannot be read, in words an operator can act on. SQLite says "unable to open
// database file" for a missing directory, a permission problem and a WAL database whose shared-
// memory file cannot be created alike; this looks at the path itself and names the cause.

#include <optional>
#include <string>

namespace edge::routing {

/// What stops this process from reading `path` ("directory /var/lib/edgeproxy does not exist",
/// "permission denied: the file (mode 0600, owner uid 0 gid 0) cannot be read by uid 65534 …"),
/// or nullopt when nothing visibly does. Any thread; a few stat/access calls.
std::optional<std::string> explain_unreadable(const std::string& path);
/// After SQLite said "unable to open database file" (SQLITE_CANTOPEN): explain_unreadable, or
/// else a WAL database whose -shm file this process cannot create or use. Any thread.
std::optional<std::string> explain_cantopen(const std::string& path);

}  // namespace edge::routing
