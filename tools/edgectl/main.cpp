// edgectl: the operator's tool. Dispatches to the command groups in commands.hpp.

#include <fmt/core.h>

#include <cstring>
#include <exception>
#include <string>

#include "base/nearest_word.hpp"
#include "tools/edgectl/commands.hpp"

namespace {

void print_usage(std::FILE* to) {
    fmt::print(to,
               "usage: edgectl <command> [args]\n\n{}\n{}\n{}\n{}\n{}\n"
               "  --help, --version\n",
               edge::edgectl::routing_usage(), edge::edgectl::geo_usage(),
               edge::edgectl::wg_usage(), edge::edgectl::sync_usage(),
               edge::edgectl::status_usage());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    std::string group = argv[1];
    edge::edgectl::args rest(argv + 2, argv + argc);
    if (group == "--help" || group == "-h" || group == "help") {
        print_usage(stdout);
        return 0;
    }
    if (group == "--version") {
        fmt::print("edgectl {}\n", EDGE_VERSION);
        return 0;
    }
    try {
        if (group == "geo") return edge::edgectl::run_geo(rest);
        if (group == "wg") return edge::edgectl::run_wg(rest);
        if (group == "sync") return edge::edgectl::run_sync_command(rest);
        if (group == "status") return edge::edgectl::run_status(rest);
        if (group == "init" || group == "backend" || group == "check" || group == "show")
            return edge::edgectl::run_routing(group, rest);
    } catch (const std::exception& e) {
        fmt::print(stderr, "edgectl {}: {}\n", group, e.what());
        return 1;
    }
    fmt::print(stderr, "edgectl: unknown command '{}'{}\n", group,
               edge::did_you_mean(group, {"init", "backend", "check", "show", "geo", "wg", "sync",
                                          "help", "--help", "--version"}));
    print_usage(stderr);
    return 2;
}
