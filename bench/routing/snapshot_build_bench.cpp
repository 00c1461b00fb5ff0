// Snapshot building for 10,000 backends: build_snapshot alone (slots + precomputation, from
// validated rows), and the whole reload path load_snapshot (SQLite read, validation, build) from a
// real file. The control thread runs these; workers never wait for them.

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "routing/address.hpp"
#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/snapshot_build.hpp"

namespace {

using namespace edge::routing;

std::vector<backend> validated_rows(int n) {
    std::vector<backend> v;
    for (int i = 0; i < n; ++i) {
        backend b;
        b.id = fmt::format("backend-{}", i);
        b.region = *edge::geo::region_code::parse(i % 3 ? "sa" : "eu");
        b.country = *edge::geo::country_code::parse(i % 2 ? "BR" : "DE");
        b.address = *edge::parse_ip_literal(
            fmt::format("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255), 8080);
        b.healthy = i % 10 != 0;
        v.push_back(std::move(b));
    }
    return v;
}

void BM_build_snapshot(benchmark::State& state) {
    backend_registry reg;
    auto rows = validated_rows(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        snapshot_input in;
        in.backends = rows;  // the copy is part of what a reload does
        std::vector<rejected_row> rejected;
        auto s = build_snapshot(std::move(in), reg, rejected);
        benchmark::DoNotOptimize(s);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_load_snapshot(benchmark::State& state) {
    char dir[] = "/tmp/edge-bench-XXXXXX";
    if (!::mkdtemp(dir)) {
        state.SkipWithError("mkdtemp failed");
        return;
    }
    std::string path = std::string(dir) + "/routing.db";
    {
        sqlite3* db = nullptr;
        sqlite3_open(path.c_str(), &db);
        std::string sql =
            "BEGIN; CREATE TABLE backends (id TEXT PRIMARY KEY, app TEXT, region TEXT, country "
            "TEXT, wg_ip TEXT, port INTEGER, healthy INTEGER, weight INTEGER, soft_limit INTEGER, "
            "hard_limit INTEGER, deleted INTEGER);";
        for (int i = 0; i < state.range(0); ++i)
            sql += fmt::format(
                "INSERT INTO backends VALUES ('backend-{}', 'app', '{}', '{}', '10.{}.{}.{}', "
                "8080, "
                "1, 1, 100, 0, 0);",
                i, i % 3 ? "sa" : "eu", i % 2 ? "BR" : "DE", i >> 16, (i >> 8) & 255, i & 255);
        sql += "COMMIT;";
        sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
    backend_registry reg;
    load_options o;
    o.db_path = path;
    for (auto _ : state) {
        auto r = load_snapshot(o, reg);
        if (!r) {
            state.SkipWithError("load failed");
            break;
        }
        benchmark::DoNotOptimize(r->snap);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    ::unlink(path.c_str());
    ::rmdir(dir);
}

}  // namespace

BENCHMARK(BM_build_snapshot)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_load_snapshot)->Arg(10000)->Unit(benchmark::kMillisecond);
