#include "engine/build_info.hpp"

#include <sys/utsname.h>

#include <fmt/format.h>

#include "engine/build_version.hpp"
#include "engine/uring/ring.hpp"

namespace edge::engine {

namespace {

std::string compiler() {
#if defined(__clang__)
    return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
    return fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
    return "unknown";
#endif
}

const char* yes_no(bool b) {
    return b ? "yes" : "no";
}

}  // namespace

std::string build_info_text() {
    std::string s = fmt::format("edgeproxy {}\n", EDGE_VERSION);
    s += fmt::format("revision  {}\n", EDGE_GIT_REVISION);
    s += fmt::format("compiler  {}, C++{}\n", compiler(), __cplusplus / 100 % 100);
    // Meson records the liburing found at configure time (Debian 12's 2.3 has no version macros).
    s += fmt::format("liburing  {} (built against)\n", EDGE_LIBURING_VERSION);
    utsname u{};
    const char* release = ::uname(&u) == 0 ? u.release : "unknown";
    auto f = probe_ring_features();
    if (!f) {
        s +=
            fmt::format("kernel    {}: io_uring unusable: {}\n", release, probe_message(f.error()));
        return s;
    }
    s += fmt::format(
        "kernel    {}: io_uring DEFER_TASKRUN {}, receive bundles {}, registered ring fd {}\n",
        release, yes_no(f->defer_taskrun), yes_no(f->recv_bundle), yes_no(f->registered_ring_fd));
    return s;
}

}  // namespace edge::engine
