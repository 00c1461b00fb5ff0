// edge-load: the load generator and test backend of edgeproxy's benchmarks (docs/EDGE_LOAD.md).

#include <fmt/core.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include "tools/edge_load/cli.hpp"
#include "tools/edge_load/modes.hpp"
#include "tools/edge_load/pattern.hpp"

int main(int argc, char** argv) {
    using namespace edge::load;
    if (argc >= 2) {
        std::string_view first = argv[1];
        if (first == "--help" || first == "-h" || first == "help") {
            fmt::print("{}", usage_text());
            return 0;
        }
        if (first == "--version") {
            fmt::print("edge-load {}\n", EDGE_VERSION);
            return 0;
        }
    }
    options o;
    try {
        o = parse_args(argc, argv);
    } catch (const usage_error& e) {
        fmt::print(stderr, "edge-load: {}\n\n{}", e.what(), usage_text());
        return 2;
    }
    init_pattern();
    try {
        switch (o.run_mode) {
            case mode::rate:
                return run_rate(o);
            case mode::rr:
                return run_rr(o);
            case mode::bulk:
                return run_bulk(o);
            case mode::hold:
                return run_hold(o);
            case mode::serve:
                return run_serve(o);
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "edge-load {}: {}\n", mode_name(o.run_mode), e.what());
        return 3;
    }
    return 3;
}
