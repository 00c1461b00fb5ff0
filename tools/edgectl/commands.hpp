#pragma once
// edgectl's command groups; each lives in its own file and receives the arguments after its
// group name. A command returns the process exit code: 0 ok, 1 operation failed, 2 bad usage.
// Tools may throw; main() turns an escaped exception into a message and exit code 1.

#include <string>
#include <vector>

namespace edge::edgectl {

using args = std::vector<std::string>;

/// init, backend …, check, show, wg peer …: routing.db (routing_commands.cpp); `group` is the
/// command ("wg peer" for the wg peer subcommands, which receive their whole argument list).
int run_routing(const std::string& group, const args& a);
/// geo build|lookup (geo_commands.cpp).
int run_geo(const args& a);
/// wg genkey|pubkey (wg_commands.cpp).
int run_wg(const args& a);
int run_wg_show(const args& a);  // wg_show_command.cpp
/// status: a running proxy's state from its admin endpoint (status_command.cpp).
int run_status(const args& a);

/// sync: the etcd → routing.db feed (sync_command.cpp).
int run_sync_command(const args& a);

/// Usage text of each group, for `edgectl --help`.
const char* routing_usage();
const char* geo_usage();
const char* wg_usage();
const char* status_usage();
const char* sync_usage();

}  // namespace edge::edgectl
