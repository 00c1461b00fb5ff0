#pragma once
// CPU lists as the kernel and operators write them ("0-3,6"), and the two sets the kernel
// reports for this process: the CPUs it may run on and the CPUs isolated from the scheduler.
// Shared by edgeproxy's --cpus and edge-load's.

#include <optional>
#include <string_view>
#include <vector>

namespace edge {

/// Parses a CPU list such as "0-3,6" (ascending, each CPU once); nullopt when malformed, empty
/// or naming a CPU at or past CPU_SETSIZE. Any thread.
std::optional<std::vector<int>> parse_cpu_list(std::string_view s);

/// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> allowed_cpus();

/// The CPUs no other task is scheduled on: the union of /sys/devices/system/cpu/isolated
/// (isolcpus=) and cgroup v2's cpuset.cpus.isolated (isolated partitions), ascending; absent
/// files add nothing.
std::vector<int> isolated_cpus();

}  // namespace edge
