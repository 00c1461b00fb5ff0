#include "tools/edge_load/modes.hpp"
namespace edge::load {
int run_bulk(const options&) {
    return 3;
}
}  // namespace edge::load
