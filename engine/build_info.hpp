#pragma once
// build_info: what `edgeproxy --version` prints — the version, the source revision and compiler
// it was built from, the liburing it was built against, and what the running kernel's io_uring
// offers (probed now), so that a bug report carries all of it.

#include <string>

namespace edge::engine {

/// The multi-line --version text, first line "edgeproxy VERSION". Probes io_uring (creates and
/// destroys a small ring). Main thread, at start-up.
std::string build_info_text();

}  // namespace edge::engine
