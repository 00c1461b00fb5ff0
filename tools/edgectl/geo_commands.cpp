// Scaffolding until the GeoIP issue lands `edgectl geo` here.
#include <fmt/core.h>

#include "tools/edgectl/commands.hpp"

namespace edge::edgectl {
int run_geo(const args&) {
    fmt::print(stderr, "edgectl geo: not built yet\n");
    return 1;
}
const char* geo_usage() { return "  geo build | lookup             (MaxMind DB files)"; }
}  // namespace edge::edgectl
