// edgectl geo: build a MaxMind DB from a CIDR CSV, and look addresses up in any MaxMind DB.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "base/nearest_word.hpp"
#include "base/unique_fd.hpp"
#include "geo/database.hpp"
#include "geo/mmdb_writer.hpp"
#include "geo/network_csv.hpp"
#include "geo/region_map.hpp"
#include "routing/loader.hpp"
#include "routing/registry.hpp"
#include "routing/table_source.hpp"
#include "tools/edgectl/commands.hpp"

namespace edge::edgectl {

namespace {

constexpr const char* build_usage =
    "usage: edgectl geo build --csv FILE --out FILE.mmdb [--type NAME] [--description TEXT]\n"
    "  FILE holds lines CIDR,COUNTRY[,REGION] (IPv4 or IPv6); '#' starts a comment.\n";
constexpr const char* lookup_usage =
    "usage: edgectl geo lookup [--db ROUTING_DB] [--region-by-continent AF=eu,AS=ap,...]\n"
    "                          [--no-default-regions] MMDB IP...\n"
    "  --db: regions as the proxy gives them with that routing.db (its country_regions table)\n";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Writes next to `path` and renames over it, so a proxy watching `path` only ever sees a
// complete file (the reload is an atomic swap of inodes).
void write_file_atomic(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
    auto fd = unique_fd::from_syscall(
        ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        throw std::runtime_error(fmt::format("cannot create {}: {}", tmp, error_text(fd.error())));
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd->get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = errno;
            ::unlink(tmp.c_str());
            throw std::runtime_error(fmt::format("cannot write {}: {}", tmp, std::strerror(err)));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd->get()) < 0 || !fd->close() || ::rename(tmp.c_str(), path.c_str()) < 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(err)));
    }
}

int run_build(const args& a) {
    std::string csv, out;
    geo::writer_options opts;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto value = [&]() -> const std::string& {
            if (i + 1 >= a.size()) throw std::invalid_argument(a[i] + " needs a value");
            return a[++i];
        };
        if (a[i] == "--csv")
            csv = value();
        else if (a[i] == "--out")
            out = value();
        else if (a[i] == "--type")
            opts.database_type = value();
        else if (a[i] == "--description")
            opts.description = value();
        else {
            fmt::print(stderr, "edgectl geo build: unknown argument '{}'\n{}", a[i], build_usage);
            return 2;
        }
    }
    if (csv.empty() || out.empty()) {
        fmt::print(stderr, "{}", build_usage);
        return 2;
    }
    auto parsed = geo::parse_network_csv(read_file(csv));
    if (!parsed) {
        for (const auto& e : parsed.error())
            fmt::print(stderr, "{}: {}\n", csv, geo::describe(e));
        return 1;
    }
    geo::mmdb_writer writer;
    for (const auto& n : *parsed) {
        if (auto r = writer.insert(n.net, n.rec); !r) {
            // Same network written two ways, e.g. 1.2.3.0/24 and ::1.2.3.0/120.
            fmt::print(stderr, "{}: line {}: {} ({})\n", csv, n.line, geo::describe(r.error()),
                       n.net.str());
            return 1;
        }
    }
    auto bytes = writer.serialize(opts);
    if (!bytes) {
        fmt::print(stderr, "edgectl geo build: {}\n", geo::describe(bytes.error()));
        return 1;
    }
    write_file_atomic(out, *bytes);
    fmt::print("wrote {}: {} networks, {} bytes\n", out, parsed->size(), bytes->size());
    return 0;
}

std::string or_dash(std::string s) {
    return s.empty() ? "-" : s;
}

int run_lookup(const args& a) {
    geo::region_map_builder map_builder(true);
    std::string continents;
    std::vector<std::string> positional;
    std::string routing_db;
    bool defaults = true;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == "--db") {
            if (i + 1 >= a.size()) throw std::invalid_argument("--db needs a value");
            routing_db = a[++i];
        } else if (a[i] == "--region-by-continent") {
            if (i + 1 >= a.size())
                throw std::invalid_argument("--region-by-continent needs a value");
            continents = a[++i];
        } else if (a[i] == "--no-default-regions") {
            defaults = false;
        } else if (a[i].starts_with("--")) {
            fmt::print(stderr, "edgectl geo lookup: unknown option '{}'\n{}", a[i], lookup_usage);
            return 2;
        } else {
            positional.push_back(a[i]);
        }
    }
    if (positional.size() < 2) {
        fmt::print(stderr, "{}", lookup_usage);
        return 2;
    }
    map_builder = geo::region_map_builder(defaults);
    if (auto r = map_builder.set_continents(continents); !r) {
        fmt::print(stderr, "edgectl geo lookup: --region-by-continent '{}': {}\n", continents,
                   geo::describe(r.error()));
        return 2;
    }
    geo::region_map map = map_builder.build();
    if (!routing_db.empty()) {
        // The proxy's own rule (routing/table_source.hpp): defaults, then the table's
        // country_regions rows, then --region-by-continent.
        if (!defaults) {
            fmt::print(stderr,
                       "edgectl geo lookup: --db and --no-default-regions exclude each "
                       "other (the proxy always starts from the defaults)\n");
            return 2;
        }
        routing::backend_registry registry;
        routing::load_options lo;
        lo.db_path = routing_db;
        auto loaded = routing::load_snapshot(lo, registry);
        if (!loaded) {
            fmt::print(stderr, "edgectl geo lookup: {}: {} ({})\n", routing_db,
                       routing::failure_name(loaded.error().kind), loaded.error().detail);
            return 1;
        }
        std::vector<std::string> warnings;
        map = *routing::build_region_map(*loaded->snap, continents, warnings);
        for (const std::string& w : warnings)
            fmt::print(stderr, "edgectl geo lookup: {}: {}\n", routing_db, w);
    }

    const std::string& path = positional[0];
    geo::open_options opts;
    opts.private_copy = false;  // a one-shot read: no need to protect against in-place rewrites
    auto db = geo::database::open(path, opts);
    if (!db) {
        fmt::print(stderr, "edgectl geo lookup: {}: {}\n", path, geo::describe(db.error()));
        return 1;
    }
    int rc = 0;
    for (std::size_t i = 1; i < positional.size(); ++i) {
        auto ip = geo::ip_address::parse(positional[i]);
        if (!ip) {
            fmt::print(stderr, "{}: not an IP address\n", positional[i]);
            rc = 1;
            continue;
        }
        auto rec = (*db)->lookup(*ip);
        if (!rec) {
            fmt::print(stderr, "{}: {}\n", positional[i], geo::describe(rec.error()));
            rc = 1;
            continue;
        }
        auto loc = map.locate(*rec);
        fmt::print("{} country={} continent={} region={}\n", positional[i],
                   or_dash(loc.country.str()), or_dash(loc.continent.str()),
                   or_dash(loc.region.str()));
    }
    return rc;
}

}  // namespace

int run_geo(const args& a) {
    if (a.empty()) {
        fmt::print(stderr, "{}{}", build_usage, lookup_usage);
        return 2;
    }
    args rest(a.begin() + 1, a.end());
    if (a[0] == "build") return run_build(rest);
    if (a[0] == "lookup") return run_lookup(rest);
    fmt::print(stderr, "edgectl geo: unknown command '{}'{}\n{}{}", a[0],
               did_you_mean(a[0], {"build", "lookup"}), build_usage, lookup_usage);
    return 2;
}

const char* geo_usage() {
    return "  geo build --csv FILE --out FILE.mmdb   (MaxMind DB from CIDR,COUNTRY[,REGION])\n"
           "  geo lookup DB IP...                     (country, continent, region)";
}

}  // namespace edge::edgectl
