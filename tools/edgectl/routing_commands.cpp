// Scaffolding until the routing issue lands edgectl's routing.db commands here.
#include <fmt/core.h>

#include "tools/edgectl/commands.hpp"

namespace edge::edgectl {
int run_routing(const std::string& group, const args&) {
    fmt::print(stderr, "edgectl {}: not built yet\n", group);
    return 1;
}
const char* routing_usage() { return "  init | backend | check | show   (routing.db)"; }
}  // namespace edge::edgectl
