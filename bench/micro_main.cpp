// main() of bench/micro; the benchmarks themselves live in bench/<part>/<thing>_bench.cpp.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
