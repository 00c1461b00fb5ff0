// libFuzzer harness for GeoIP databases (clang only; see meson.build):
//   tests/fuzz/run_fuzz.sh build-clang/tests/fuzz/mmdb_fuzz --seeds ../shared/data/geoip -max_total_time=60
// A replacement database arrives from the operator's disk at any time, so an arbitrary file must
// never crash the proxy: geo::database::open either refuses it with a reason or accepts it, and
// an accepted one answers lookups of any address, IPv4 and IPv6, with a record or an error.
// Seeds: the MaxMind test databases, broken ones included.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "geo/database.hpp"
#include "geo/ip_address.hpp"

using namespace edge::geo;

namespace {

const std::string& scratch_path() {
    static const std::string path = [] {
        const char* dir = std::getenv("TMPDIR");
        return std::string(dir && *dir ? dir : "/tmp") + "/edge-mmdb-fuzz-" +
               std::to_string(::getpid()) + ".mmdb";
    }();
    return path;
}

bool write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    bool ok = size == 0 || ::write(fd, data, size) == static_cast<ssize_t>(size);
    ::close(fd);
    return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& path = scratch_path();
    if (!write_file(path, data, size)) std::abort();
    // As the proxy opens a replacement (private copy, tree verified, records sampled).
    auto db = database::open(path);
    if (!db) {
        if (describe(db.error()).empty()) std::abort();  // every refusal names its reason
        return 0;
    }
    // Addresses from the input's own bytes, so that the fuzzer can steer them into the tree.
    std::uint8_t v6[16] = {};
    std::memcpy(v6, data, size < 16 ? size : 16);
    std::uint8_t v4[4] = {v6[12], v6[13], v6[14], v6[15]};
    const ip_address probes[] = {
        ip_address::from_v4(v4),          ip_address::from_v6(v6),
        ip_address::from_v4(0x01020304u), ip_address::from_v4(0xffffffffu),
        *ip_address::parse("::"),         *ip_address::parse("2001:db8::1")};
    for (const ip_address& a : probes) {
        auto r = (*db)->lookup(a);
        if (!r && describe(r.error())[0] == '\0') std::abort();
    }
    return 0;
}
