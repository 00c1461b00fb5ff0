// Scaffolding until the crypto issue lands `edgectl wg` here.
#include <fmt/core.h>

#include "tools/edgectl/commands.hpp"

namespace edge::edgectl {
int run_wg(const args&) {
    fmt::print(stderr, "edgectl wg: not built yet\n");
    return 1;
}
const char* wg_usage() { return "  wg genkey | pubkey             (WireGuard keys)"; }
}  // namespace edge::edgectl
