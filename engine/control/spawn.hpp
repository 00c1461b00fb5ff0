#pragma once
// Starting the successor for `edgectl restart`: the binary at the path this one was started from
// (so an upgraded file is what runs), with this process's flags plus --takeover, its environment
// (NOTIFY_SOCKET included) and working directory (relative paths keep their meaning). The child
// is watched through a pidfd, so that a successor that dies before it is ready is noticed at
// once, on the control thread's reactor.

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace edge::engine {

struct spawned_process {
    pid_t pid = -1;
    unique_fd pidfd;  // readable once the child has exited
};

/// Starts `argv` (argv[0] is `exe`) with every signal unblocked and at its default disposition
/// (posix_spawn: safe in a threaded process). Control thread.
result<spawned_process, std::string> spawn_process(const std::string& exe,
                                                   const std::vector<std::string>& argv);

/// The path this binary was started from (/proc/self/exe, without " (deleted)" when the file
/// was replaced since). Main thread, at start-up.
std::string own_executable();

/// The successor's command line: `argv` without any --takeover it had, plus --takeover `path`.
std::vector<std::string> successor_argv(std::vector<std::string> argv, const std::string& path);

}  // namespace edge::engine
